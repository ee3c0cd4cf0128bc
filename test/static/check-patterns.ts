/**
 * scripts/check-patterns.js: each rule fires on a small bad snippet and stays quiet on its good
 * twin, comments and strings are ignored, `// check-patterns: allow <rule> <reason>` silences one
 * line, and the real contracts/ pass.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

interface Finding {
  file: string;
  line: number;
  rule: string;
  text: string;
}
interface Checker {
  checkSource(text: string, file?: string): Finding[];
  checkTree(root?: string): { files: number; findings: Finding[] };
  format(f: Finding): string;
  RULES: string[];
}
// The checker is plain Node without type declarations; its surface is typed by `Checker` above.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const checker: Checker = require("../../scripts/check-patterns.js");

const ROOT = path.join(__dirname, "..", "..");

/** A contract around `body`, with a few state variables the snippets use. */
function contract(body: string): string {
  return `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

contract Snippet {
    struct Group {
        address[] members;
        uint256 count;
    }
    address public owner;
    address[] private _members;
    uint256[3] private _fixed;
    mapping(uint256 id => address[]) private _byId;
    mapping(uint256 id => Group) private _groups;
    uint256 private _total;
    uint64 private _deadline;
${body}
}
`;
}

function rulesOf(body: string): string[] {
  return checker.checkSource(contract(body), "Snippet.sol").map((f) => f.rule);
}

function linesOf(body: string, rule: string): number[] {
  return checker
    .checkSource(contract(body), "Snippet.sol")
    .filter((f) => f.rule === rule)
    .map((f) => f.line);
}

describe("check-patterns", function () {
  describe("tx-origin", function () {
    it("fires on any use of tx.origin", function () {
      expect(rulesOf(`function f() external { require(tx.origin == owner); }`)).to.deep.equal(["tx-origin"]);
      expect(rulesOf(`function f() external view returns (address) { return tx.origin; }`)).to.deep.equal(["tx-origin"]);
    });

    it("stays quiet on msg.sender, and on tx.origin in comments and strings", function () {
      expect(
        rulesOf(`
    // tx.origin is never used for auth
    /* tx.origin */
    function f() external view returns (string memory) {
        require(msg.sender == owner);
        return "tx.origin";
    }`),
      ).to.deep.equal([]);
    });
  });

  describe("unchecked-call", function () {
    it("fires on a bare .call, .delegatecall, .staticcall and .send", function () {
      const body = `
    function f(address payable t, bytes calldata d) external {
        t.call(d);
        t.call{value: 1}(d);
        t.delegatecall(d);
        t.staticcall(d);
        t.send(1);
    }`;
      expect(linesOf(body, "unchecked-call")).to.have.length(5);
    });

    it("fires when the success is captured but never checked, or only emitted or stored", function () {
      const body = `
    event Done(bool ok);
    bool private _last;
    function f(address t, bytes calldata d) external {
        (bool ok, ) = t.call(d);
        emit Done(ok);
    }
    function g(address t, bytes calldata d) external {
        (bool ok, bytes memory r) = t.call(d);
        _last = ok;
        r;
    }
    function h(address t, bytes calldata d) external {
        (, bytes memory r) = t.call(d);
        r;
    }`;
      expect(linesOf(body, "unchecked-call")).to.have.length(3);
    });

    it("stays quiet when the success is checked by if, require, a condition, a ternary or returned", function () {
      const body = `
    error Failed();
    function a(address t, bytes calldata d) external {
        (bool ok, ) = t.call(d);
        if (!ok) revert Failed();
    }
    function b(address t, bytes calldata d) external {
        (bool success, bytes memory r) = t.call{value: 0}(d);
        require(success, "call failed");
        r;
    }
    function c(address payable t) external {
        if (!t.send(1)) revert Failed();
    }
    function e(address t, bytes calldata d) external returns (bool, bytes memory) {
        return t.delegatecall(d);
    }
    function g(address t, bytes calldata d) external view returns (uint256) {
        (bool ok, ) = t.staticcall(d);
        return ok ? 1 : 0;
    }`;
      expect(linesOf(body, "unchecked-call")).to.deep.equal([]);
    });

    it("fires on an inline-assembly call whose result is popped or never used", function () {
      const body = `
    function f(address t) external {
        assembly {
            pop(call(gas(), t, 0, 0, 0, 0, 0))
        }
    }
    function g(address t) external {
        bool success;
        assembly {
            success := call(gas(), t, 0, 0, 0, 0, 0)
        }
    }`;
      expect(linesOf(body, "unchecked-call")).to.have.length(2);
    });

    it("stays quiet on an inline-assembly call whose result is used, inside or after the block", function () {
      const body = `
    event CallbackExecuted(address target, bool success);
    function f(address t) external {
        bool success;
        assembly ("memory-safe") {
            success := call(gas(), t, 0, 0, 0, 0, 0)
        }
        emit CallbackExecuted(t, success);
    }
    function g(address t) external {
        assembly {
            if iszero(call(gas(), t, 0, 0, 0, 0, 0)) { revert(0, 0) }
        }
    }`;
      expect(linesOf(body, "unchecked-call")).to.deep.equal([]);
    });

    it("accepts JobSettlement.deliver (the hub's callback) as it is, and fires once its success is no longer used", function () {
      const file = "contracts/libraries/JobSettlement.sol";
      const source = fs.readFileSync(path.join(ROOT, file), "utf8");
      expect(checker.checkSource(source, file)).to.deep.equal([]);
      const unused = source.replace("emit IJobRegistry.CallbackExecuted(jobId, target, success);", "emit IJobRegistry.CallbackExecuted(jobId, target, true);");
      expect(unused).to.not.equal(source);
      expect(checker.checkSource(unused, file).map((f) => f.rule)).to.deep.equal(["unchecked-call"]);
    });
  });

  describe("timestamp-equality", function () {
    it("fires on block.timestamp == x, x == block.timestamp, != and casts", function () {
      const body = `
    function f() external view returns (uint256 n) {
        if (block.timestamp == _deadline) n++;
        if (_deadline == block.timestamp) n++;
        if (block.timestamp != _deadline) n++;
        if (uint64(block.timestamp) == _deadline) n++;
        if (_deadline != uint64(block.timestamp)) n++;
        if (_deadline == (block.timestamp)) n++;
    }`;
      expect(linesOf(body, "timestamp-equality")).to.have.length(6);
    });

    it("stays quiet on <, <=, >, >= and in comments", function () {
      const body = `
    function f() external view returns (uint256 n) {
        // block.timestamp == _deadline would be wrong
        if (block.timestamp >= _deadline) n++;
        if (block.timestamp <= _deadline) n++;
        if (_deadline < block.timestamp) n++;
        if (_deadline > uint64(block.timestamp)) n++;
    }`;
      expect(linesOf(body, "timestamp-equality")).to.deep.equal([]);
    });
  });

  describe("storage-loop", function () {
    it("fires on for and while loops bounded by a storage array's length in state-changing functions", function () {
      const body = `
    function a() external {
        for (uint256 i = 0; i < _members.length; ++i) _total++;
    }
    function b(uint256 id) external {
        uint256 i;
        while (i < _byId[id].length) ++i;
        _total = i;
    }
    function c(uint256 id) internal {
        address[] storage list = _byId[id];
        for (uint256 i = 0; i < list.length; ++i) _total++;
    }
    function d(uint256 id) external {
        for (uint256 i = 0; i < _groups[id].members.length; ++i) _total++;
    }
    function e() external {
        uint256 n = _members.length;
        for (uint256 i = 0; i < n; ++i) _total++;
    }`;
      expect(linesOf(body, "storage-loop")).to.have.length(5);
    });

    it("stays quiet in view functions, on memory and calldata arrays, fixed-size arrays and shadowed names", function () {
      const body = `
    function a() external view returns (uint256 n) {
        for (uint256 i = 0; i < _members.length; ++i) n++;
    }
    function b(address[] calldata list) external {
        for (uint256 i = 0; i < list.length; ++i) _total++;
    }
    function c() external {
        address[] memory copy = _members;
        for (uint256 i = 0; i < copy.length; ++i) _total++;
    }
    function d() external {
        for (uint256 i = 0; i < _fixed.length; ++i) _total++;
    }
    function e(address[] memory _members) external {
        for (uint256 i = 0; i < _members.length; ++i) _total++;
    }
    function f(uint256 count) external {
        for (uint256 i = 0; i < count; ++i) _total++;
    }`;
      expect(linesOf(body, "storage-loop")).to.deep.equal([]);
    });
  });

  describe("allow comments", function () {
    it("silence one rule on the next line only, with a reason", function () {
      const body = `
    function f() external view returns (address a, address b) {
        // check-patterns: allow tx-origin read for logging only, never for auth
        a = tx.origin;
        b = tx.origin;
    }`;
      expect(linesOf(body, "tx-origin")).to.have.length(1);
    });

    it("do not silence another rule, and are findings themselves without a reason", function () {
      const body = `
    function f() external view returns (address a, address b) {
        // check-patterns: allow storage-loop wrong rule
        a = tx.origin;
        // check-patterns: allow tx-origin
        b = tx.origin;
    }`;
      expect(rulesOf(body).sort()).to.deep.equal(["allow", "tx-origin", "tx-origin"]);
    });
  });

  describe("the real contracts", function () {
    it("pass: no finding in contracts/ outside contracts/test/", function () {
      const { files, findings } = checker.checkTree(ROOT);
      expect(findings.map(checker.format)).to.deep.equal([]);
      expect(files).to.be.greaterThan(10);
    });
  });
});
