// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRefereeOneStep} from "../interfaces/IRefereeOneStep.sol";
import {TraceMerkle} from "../libraries/TraceMerkle.sol";
import {OneStepOps} from "../libraries/OneStepOps.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title RefereeOneStep
/// @notice See IRefereeOneStep. The operand layouts, leaf size and descriptor encoding are those of
///         docs/REFEREE.md and packages/node/src/referee/steps.ts; the element arithmetic is
///         OneStepOps (which packages/node/src/referee/interpreter.ts defines bit for bit).
/// @dev Stateless and pure. Loops run over a step's kernel rows (bounded by the registered
///      descriptor, which every node reproduces from the model before opting in) and over proof
///      levels (bounded in TraceMerkle); no loop depends on a caller-chosen length.
contract RefereeOneStep is IRefereeOneStep {
    uint256 internal constant LEAF = 1024;
    /// @dev Bytes of one channel record: bias, scale bits, weight zero point, 4 zero bytes (records.ts).
    uint256 internal constant RECORD = 16;

    uint256 internal constant KIND_MATMUL = 1;
    uint256 internal constant KIND_CONV = 2;
    uint256 internal constant KIND_RELU = 3;
    uint256 internal constant KIND_MAXPOOL = 4;
    uint256 internal constant KIND_ADD = 5;
    uint256 internal constant KIND_TABLE = 6;

    /// @dev The length of each kind's integer list (steps.ts), shared by the kinds' functions and outputCount.
    uint256 internal constant INTS_MATMUL = 10;
    uint256 internal constant INTS_CONV = 22;
    uint256 internal constant INTS_MAXPOOL = 16;
    uint256 internal constant INTS_ADD = 12;
    uint256 internal constant INTS_ELEMENTWISE = 4;

    /// @dev A decoded descriptor and the trace it is read against.
    struct Step {
        uint256 kind;
        int256[] ints;
        bytes32[] roots;
        bytes data;
        uint256 index;
        bytes32[] tensorRoots;
        uint256 element;
        /// @dev The next range to read.
        uint256 next;
        /// @dev The step's output element count and type, set by the kind's function.
        uint256 count;
        bool outSigned;
    }

    /// @inheritdoc IRefereeOneStep
    function check(
        bytes32 stepsHash,
        bytes32[] calldata descHashes,
        uint256 step,
        bytes calldata descriptor,
        bytes32 traceRoot,
        bytes32[] calldata tensorRoots,
        uint256 element,
        Range[] calldata ranges
    ) external pure returns (int256 expected, int256 claimed) {
        _checkCommitments(stepsHash, descHashes, step, descriptor, traceRoot, tensorRoots);
        Step memory s;
        (s.kind, s.ints, s.roots, s.data) = abi.decode(descriptor, (uint256, int256[], bytes32[], bytes));
        s.index = step;
        s.tensorRoots = tensorRoots;
        s.element = element;
        return _evaluate(s, ranges);
    }

    /// @inheritdoc IRefereeOneStep
    function outputCount(bytes calldata descriptor) external pure returns (uint256 count) {
        Step memory s;
        (s.kind, s.ints, s.roots, ) = abi.decode(descriptor, (uint256, int256[], bytes32[], bytes));
        int256[] memory p = s.ints;
        // The same shapes and products as the kinds' functions below set in `s.count`.
        if (s.kind == KIND_MATMUL) {
            _shape(s, INTS_MATMUL, 2);
            return uint256(p[4]) * uint256(p[6]);
        }
        if (s.kind == KIND_CONV) {
            _shape(s, INTS_CONV, 2);
            return uint256(p[4]) * uint256(p[19]) * uint256(p[20]) * uint256(p[8]);
        }
        if (s.kind == KIND_MAXPOOL) {
            _shape(s, INTS_MAXPOOL, 0);
            return uint256(p[2]) * uint256(p[14]) * uint256(p[15]) * uint256(p[3]);
        }
        if (s.kind == KIND_ADD) {
            _shape(s, INTS_ADD, 0);
            return uint256(p[5]);
        }
        if (s.kind == KIND_RELU || s.kind == KIND_TABLE) {
            _shape(s, INTS_ELEMENTWISE, 0);
            return uint256(p[3]);
        }
        revert UnknownStepKind(s.kind);
    }

    /// @dev Reverts unless the descriptor is the registered program's step and the tensor roots the
    ///      defender's trace.
    function _checkCommitments(
        bytes32 stepsHash,
        bytes32[] calldata descHashes,
        uint256 step,
        bytes calldata descriptor,
        bytes32 traceRoot,
        bytes32[] calldata tensorRoots
    ) internal pure {
        // INVARIANT: the descriptor is the registered program's: its hash is listed under `step`
        // and the list hashes to the registered steps hash.
        bytes32 computed = keccak256(abi.encodePacked(descHashes));
        if (computed != stepsHash) revert StepsHashMismatch(stepsHash, computed);
        if (step >= descHashes.length) revert StepOutOfRange(step, descHashes.length);
        computed = keccak256(descriptor);
        if (computed != descHashes[step]) revert DescriptorMismatch(step, descHashes[step], computed);
        // INVARIANT: the tensor roots are the defender's: one per tensor, hashing to its trace root.
        if (tensorRoots.length != descHashes.length + 1)
            revert TensorCountMismatch(descHashes.length + 1, tensorRoots.length);
        computed = TraceMerkle.traceRoot(tensorRoots);
        if (computed != traceRoot) revert TraceRootMismatch(traceRoot, computed);
    }

    /// @dev Recomputes the element, then reads the committed one from the output tensor.
    function _evaluate(Step memory s, Range[] calldata ranges) internal pure returns (int256 expected, int256 claimed) {
        expected = _expected(s, ranges);
        // INVARIANT: the element is one of the output's, and every range supplied is consumed.
        if (s.element >= s.count) revert ElementOutOfRange(s.element, s.count);
        claimed = OneStepOps.readElement(
            _read(s.tensorRoots[s.index + 1], s.count, s.element, 1, ranges, s),
            0,
            s.outSigned
        );
        if (s.next != ranges.length) revert WrongRangeCount(s.next, ranges.length);
    }

    /// @dev Dispatches on the step kind; returns the recomputed element and sets the output's element
    ///      count and type in `s` (the value is 0 when the element is past the output).
    function _expected(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        if (s.kind == KIND_MATMUL) return _matMul(s, ranges);
        if (s.kind == KIND_CONV) return _conv(s, ranges);
        if (s.kind == KIND_RELU) return _relu(s, ranges);
        if (s.kind == KIND_MAXPOOL) return _maxPool(s, ranges);
        if (s.kind == KIND_ADD) return _add(s, ranges);
        if (s.kind == KIND_TABLE) return _table(s, ranges);
        revert UnknownStepKind(s.kind);
    }

    /// @dev ints [aIndex, aSigned, bSigned, outSigned, M, K, N, aZeroPoint, outZeroPoint, reluFused]; roots [columns, records].
    function _matMul(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_MATMUL, 2);
        uint256 n = uint256(s.ints[6]);
        s.count = uint256(s.ints[4]) * n;
        s.outSigned = s.ints[3] != 0;
        if (s.element >= s.count) return 0;
        bytes memory row;
        bytes memory column;
        {
            uint256 k = uint256(s.ints[5]);
            row = _read(_input(s, s.ints[0]), (s.count / n) * k, (s.element / n) * k, k, ranges, s);
            // Column j starts at leaf j * ceil(K / 1024) (docs/REFEREE.md: leaf-aligned columns).
            uint256 stride = _leavesFor(k) * LEAF;
            column = _read(s.roots[0], n * stride, (s.element % n) * stride, k, ranges, s);
        }
        OneStepOps.Channel memory channel = _record(s.roots[1], n, s.element % n, ranges, s);
        value = _product(s, row, column, channel, 7);
    }

    /// @dev The requantized dot product of a MatMul or Conv element: ints[1] and ints[2] say whether
    ///      the operands are int8, ints[zpAt] is the first operand's zero point and ints[zpAt + 1]
    ///      the output's (7 for MatMul, 17 for Conv); the last int says whether a Relu is fused
    ///      (then the element is max(requantized, output zero point), as the Relu computes it).
    function _product(
        Step memory s,
        bytes memory a,
        bytes memory b,
        OneStepOps.Channel memory channel,
        uint256 zpAt
    ) internal pure returns (int256 y) {
        int256[] memory p = s.ints;
        y = OneStepOps.matMulElement(a, p[1] != 0, p[zpAt], b, p[2] != 0, channel, p[zpAt + 1], s.outSigned);
        if (p[p.length - 1] != 0) y = OneStepOps.reluElement(y, p[zpAt + 1], s.outSigned);
    }

    /// @dev ints [xIndex, xSigned, wSigned, outSigned, N, C, H, W, M, kh, kw, strideH, strideW,
    ///      padTop, padLeft, padBottom, padRight, xZeroPoint, outZeroPoint, OH, OW, reluFused]; roots [filters, records].
    ///      The output is committed channels-last: element = ((n * OH + oy) * OW + ox) * M + oc.
    function _conv(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_CONV, 2);
        uint256 mOut = uint256(s.ints[8]);
        s.count = uint256(s.ints[4]) * uint256(s.ints[19]) * uint256(s.ints[20]) * mOut;
        s.outSigned = s.ints[3] != 0;
        if (s.element >= s.count) return 0;
        bytes memory window = _window(s, s.element / mOut, ranges);
        bytes memory filter;
        {
            // Filter m starts at leaf m * ceil(kh * kw * C / 1024) (docs/REFEREE.md: leaf-aligned filters).
            uint256 stride = _leavesFor(window.length) * LEAF;
            filter = _read(s.roots[0], mOut * stride, (s.element % mOut) * stride, window.length, ranges, s);
        }
        OneStepOps.Channel memory channel = _record(s.roots[1], mOut, s.element % mOut, ranges, s);
        // A convolution element is the dot product of its receptive field and its filter (OneStepOps.convElement).
        value = _product(s, window, filter, channel, 17);
    }

    /// @dev The receptive field of output pixel `pixel` (= (n * OH + oy) * OW + ox) of a convolution,
    ///      kh * kw * C bytes in (i, j, c) order, padded positions holding the input's zero point
    ///      (so they add nothing). One range per kernel row that meets the input.
    function _window(
        Step memory s,
        uint256 pixel,
        Range[] calldata ranges
    ) internal pure returns (bytes memory window) {
        Geometry memory g = _geometry(s, pixel);
        uint256 length = g.kh * g.kw * g.c;
        // The zero point's byte (two's complement for int8) in every byte of a word.
        uint256 fill = (uint256(s.ints[17]) & 0xff) * (type(uint256).max / 0xff);
        window = new bytes(length);
        // Safe: whole words are written from the data's start up to the first word boundary at or
        // past its end; `new bytes` reserved that rounded-up size (the allocator keeps the free
        // pointer word-aligned), so nothing past the array's own allocation is touched.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let data := add(window, 32)
            for {
                let i := 0
            } lt(i, length) {
                i := add(i, 32)
            } {
                mstore(add(data, i), fill)
            }
        }
        _fillRows(s, g, ranges, window);
    }

    /// @dev A window step's geometry (Conv and MaxPool), and the output pixel it is read at.
    struct Geometry {
        uint256 h;
        uint256 w;
        uint256 c;
        uint256 kh;
        uint256 kw;
        uint256 sh;
        uint256 sw;
        uint256 pt;
        uint256 pl;
        /// @dev The input's bytes (N * C * H * W).
        uint256 total;
        uint256 n;
        uint256 oy;
        uint256 ox;
        /// @dev The kernel columns [jlo, jhi) whose input column lies inside the input.
        uint256 jlo;
        uint256 jhi;
    }

    /// @dev The geometry of a Conv ([x, xS, wS, oS, N, C, H, W, M, kh, kw, sH, sW, pT, pL, pB, pR,
    ///      xZp, oZp, OH, OW]) or MaxPool ([x, S, N, C, H, W, kh, kw, sH, sW, pT, pL, pB, pR, OH, OW])
    ///      step at output pixel `pixel` = (n * OH + oy) * OW + ox.
    function _geometry(Step memory s, uint256 pixel) internal pure returns (Geometry memory g) {
        int256[] memory p = s.ints;
        bool conv = s.kind == KIND_CONV;
        uint256 o = conv ? 4 : 2;
        uint256 k = conv ? 9 : 6;
        g.c = uint256(p[o + 1]);
        g.h = uint256(p[o + 2]);
        g.w = uint256(p[o + 3]);
        g.kh = uint256(p[k]);
        g.kw = uint256(p[k + 1]);
        g.sh = uint256(p[k + 2]);
        g.sw = uint256(p[k + 3]);
        g.pt = uint256(p[k + 4]);
        g.pl = uint256(p[k + 5]);
        g.total = uint256(p[o]) * g.c * g.h * g.w;
        uint256 oh = uint256(p[conv ? 19 : 14]);
        uint256 ow = uint256(p[conv ? 20 : 15]);
        g.ox = pixel % ow;
        g.oy = (pixel / ow) % oh;
        g.n = pixel / (ow * oh);
        (g.jlo, g.jhi) = _columns(g);
    }

    /// @dev Copies the input rows a convolution or pooling window meets into `window`, laid out
    ///      (i, j, c); one range per kernel row that meets the input.
    function _fillRows(Step memory s, Geometry memory g, Range[] calldata ranges, bytes memory window) internal pure {
        if (g.jlo >= g.jhi) return;
        for (uint256 i = 0; i < g.kh; ++i) {
            // Rows are counted in the padded input so that they stay unsigned: py - pt is the real row.
            uint256 py = g.oy * g.sh + i;
            if (py < g.pt || py - g.pt >= g.h) continue;
            uint256 offset = ((g.n * g.h + (py - g.pt)) * g.w + (g.ox * g.sw + g.jlo - g.pl)) * g.c;
            bytes memory seg = _read(_input(s, s.ints[0]), g.total, offset, (g.jhi - g.jlo) * g.c, ranges, s);
            uint256 at = (i * g.kw + g.jlo) * g.c;
            // Safe: `at + seg.length <= kh * kw * c = window.length`, since jhi <= kw and i < kh.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                mcopy(add(add(window, 32), at), add(seg, 32), mload(seg))
            }
        }
    }

    /// @dev The kernel columns [jlo, jhi) whose input column (ox * sw + j - pl) lies in [0, w).
    function _columns(Geometry memory g) internal pure returns (uint256 jlo, uint256 jhi) {
        uint256 px = g.ox * g.sw;
        jlo = px >= g.pl ? 0 : g.pl - px;
        jhi = px + g.kw <= g.pl ? 0 : (px + g.kw - g.pl > g.w ? g.w + g.pl - px : g.kw);
    }

    /// @dev ints [xIndex, signed, N, C, H, W, kh, kw, sH, sW, pT, pL, pB, pR, OH, OW]; channels-last:
    ///      element = ((n * OH + oy) * OW + ox) * C + c. Padded positions never win, so the window
    ///      keeps only the real ones (a pad is smaller than the kernel: every window has one).
    function _maxPool(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_MAXPOOL, 0);
        uint256 c = uint256(s.ints[3]);
        s.count = uint256(s.ints[2]) * uint256(s.ints[14]) * uint256(s.ints[15]) * c;
        s.outSigned = s.ints[1] != 0;
        if (s.element >= s.count) return 0;
        // Read whole (j, c) rows as a convolution does, then keep channel `element % c` of the
        // positions inside the input.
        Geometry memory g = _geometry(s, s.element / c);
        bytes memory window = new bytes(g.kh * g.kw * c);
        _fillRows(s, g, ranges, window);
        value = OneStepOps.maxPoolElement(_channel(window, _realPositions(g), c, s.element % c), s.outSigned);
    }

    /// @dev Which of a pooling window's kh * kw positions lie inside the input.
    function _realPositions(Geometry memory g) internal pure returns (bool[] memory real) {
        real = new bool[](g.kh * g.kw);
        for (uint256 i = 0; i < g.kh; ++i) {
            uint256 py = g.oy * g.sh + i;
            if (py < g.pt || py - g.pt >= g.h) continue;
            for (uint256 j = g.jlo; j < g.jhi; ++j) real[i * g.kw + j] = true;
        }
    }

    /// @dev The bytes of channel `ch` at the real positions of a (i, j, c) window.
    function _channel(
        bytes memory window,
        bool[] memory real,
        uint256 c,
        uint256 ch
    ) internal pure returns (bytes memory out) {
        uint256 n;
        for (uint256 q = 0; q < real.length; ++q) if (real[q]) ++n;
        out = new bytes(n);
        n = 0;
        for (uint256 q = 0; q < real.length; ++q) if (real[q]) out[n++] = window[q * c + ch];
    }

    /// @dev ints [xIndex, signed, zeroPoint, count].
    function _relu(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_ELEMENTWISE, 0);
        int256[] memory p = s.ints;
        s.count = uint256(p[3]);
        s.outSigned = p[1] != 0;
        if (s.element >= s.count) return 0;
        value = OneStepOps.reluElement(_elementOf(s, p[0], s.outSigned, ranges), p[2], s.outSigned);
    }

    /// @dev ints [aIndex, bIndex, aSigned, bSigned, outSigned, count, aZp, bZp, aMul, bMul, scaleBits, outZp].
    function _add(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_ADD, 0);
        int256[] memory p = s.ints;
        s.count = uint256(p[5]);
        s.outSigned = p[4] != 0;
        if (s.element >= s.count) return 0;
        int256 a = _elementOf(s, p[0], p[2] != 0, ranges);
        int256 b = _elementOf(s, p[1], p[3] != 0, ranges);
        value = OneStepOps.addElement(
            a,
            b,
            OneStepOps.AddParams({
                aSigned: p[2] != 0,
                aZeroPoint: p[6],
                bSigned: p[3] != 0,
                bZeroPoint: p[7],
                aMultiplier: p[8],
                bMultiplier: p[9],
                scaleBits: uint32(uint256(p[10])),
                outZeroPoint: p[11],
                outSigned: s.outSigned
            })
        );
    }

    /// @dev ints [xIndex, inSigned, outSigned, count]; data: the 256 entries.
    function _table(Step memory s, Range[] calldata ranges) internal pure returns (int256 value) {
        _shape(s, INTS_ELEMENTWISE, 0);
        int256[] memory p = s.ints;
        s.count = uint256(p[3]);
        s.outSigned = p[2] != 0;
        if (s.element >= s.count) return 0;
        value = OneStepOps.tableElement(s.data, _elementOf(s, p[0], p[1] != 0, ranges), p[1] != 0, s.outSigned);
    }

    /// @dev An elementwise step's input element: element `s.element` of earlier tensor `tensor`
    ///      (as many elements as the output), opened with the next range.
    function _elementOf(
        Step memory s,
        int256 tensor,
        bool signed_,
        Range[] calldata ranges
    ) internal pure returns (int256) {
        return OneStepOps.readElement(_read(_input(s, tensor), s.count, s.element, 1, ranges, s), 0, signed_);
    }

    /// @dev Checks a descriptor's list lengths.
    function _shape(Step memory s, uint256 ints, uint256 roots) internal pure {
        // INVARIANT: a descriptor has exactly the fields of its kind. Its values are the registered
        // program's, which every node reproduces from the model before opting in; a size that is
        // nonsense only makes the checked arithmetic below revert.
        if (s.ints.length != ints || s.roots.length != roots)
            revert MalformedDescriptor(s.kind, s.ints.length, s.roots.length);
    }

    /// @dev The root of an earlier tensor the step reads.
    function _input(Step memory s, int256 tensor) internal pure returns (bytes32) {
        // INVARIANT: a step reads only the input or earlier steps' outputs (tensor <= step), so a
        // skip connection is checked against the very tensor the defender committed for it.
        if (tensor < 0 || uint256(tensor) > s.index) revert InputNotEarlier(uint256(tensor), s.index);
        return s.tensorRoots[uint256(tensor)];
    }

    /// @dev Channel record `channel` of `channels`, proven in the records' keccak tree
    ///      (packages/node/src/referee/records.ts): the range carries its 16 bytes, `bias (int32 BE) ||
    ///      scaleBits (uint32 BE) || weightZeroPoint (int32 BE) || 4 zero bytes`, and its siblings.
    function _record(
        bytes32 root,
        uint256 channels,
        uint256 channel,
        Range[] calldata ranges,
        Step memory s
    ) internal pure returns (OneStepOps.Channel memory record) {
        if (s.next >= ranges.length) revert WrongRangeCount(s.next + 1, ranges.length);
        Range calldata r = ranges[s.next++];
        // INVARIANT: a record is 16 bytes and its proof no longer than the tree over `channels`
        // records is deep (each level at least halves), so the proof's loop is bounded.
        if (r.leaves.length != RECORD) revert WrongLeafCount(RECORD, r.leaves.length);
        if (r.siblings.length > _log2Ceil(channels)) revert RecordProofTooLong(r.siblings.length, _log2Ceil(channels));
        // A leaf hashes 48 bytes and an inner node 64, so neither can pass for the other; the index
        // in the leaf stops a record from being proven at another channel.
        bytes32 leaf = keccak256(abi.encodePacked(channel, r.leaves));
        // INVARIANT: the record is the registered one for this channel.
        if (!MerkleProof.verifyCalldata(r.siblings, root, leaf)) revert RecordNotInTree(channel);
        uint256 word = uint256(bytes32(r.leaves));
        record.bias = int256(int32(uint32(word >> 224)));
        record.scaleBits = uint32(word >> 192);
        record.weightZeroPoint = int256(int32(uint32(word >> 160)));
    }

    /// @dev The least d with 2^d >= n (0 for n <= 1).
    function _log2Ceil(uint256 n) internal pure returns (uint256 d) {
        while ((1 << d) < n) ++d;
    }

    /// @dev Opens bytes [offset, offset + length) of a tree over `total` bytes with the next range
    ///      and returns them.
    function _read(
        bytes32 root,
        uint256 total,
        uint256 offset,
        uint256 length,
        Range[] calldata ranges,
        Step memory s
    ) internal pure returns (bytes memory out) {
        if (s.next >= ranges.length) revert WrongRangeCount(s.next + 1, ranges.length);
        Range calldata r = ranges[s.next++];
        uint256 first = offset / LEAF;
        uint256 leaves = (offset + length - 1) / LEAF - first + 1;
        // INVARIANT: the range carries exactly the leaves the operand spans (the last may leave out
        // trailing zeros, which TraceMerkle zero-extends), so the bytes read below are the proven ones.
        uint256 given = r.leaves.length;
        if (given <= (leaves - 1) * LEAF || given > leaves * LEAF) revert WrongLeafCount(leaves, _leavesFor(given));
        TraceMerkle.requireRange(root, TraceMerkle.depthFor(total), first, r.leaves, r.siblings);
        uint256 start = offset - first * LEAF;
        // The operand's bytes past what the range gives are the zero-extension's zeros (`new bytes` is zeroed).
        out = new bytes(length);
        uint256 copy = start >= given ? 0 : (given - start < length ? given - start : length);
        bytes calldata proven = r.leaves;
        // Safe: copies `copy <= length` bytes into `out`'s own data, from inside `r.leaves` (start + copy <= given).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            calldatacopy(add(out, 32), add(proven.offset, start), copy)
        }
    }

    /// @dev Leaves a tree over `bytes_` bytes has (at least one).
    function _leavesFor(uint256 bytes_) internal pure returns (uint256) {
        return bytes_ == 0 ? 1 : (bytes_ + LEAF - 1) / LEAF;
    }
}
