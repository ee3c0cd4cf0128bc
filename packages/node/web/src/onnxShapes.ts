/**
 * The names of a model's graph inputs and outputs that declare a tensor type without a shape (any
 * rank fits them). onnxruntime reports `[]` both for those and for scalars; the node's runner
 * (src/runtime/runner.ts `shapelessValues`) tells them apart with onnx-proto. This reads just those
 * few fields of the protobuf, so the page does not bundle a protobuf library:
 *
 *   ModelProto.graph = 7; GraphProto.input = 11, output = 12; ValueInfoProto.name = 1, type = 2;
 *   TypeProto.tensor_type = 1; TypeProto.Tensor.shape = 2.
 */

interface Field {
  no: number;
  wire: number;
  /** For length-delimited fields: the bytes. */
  bytes?: Uint8Array;
}

function* fields(buf: Uint8Array): Generator<Field> {
  let i = 0;
  const varint = (): number => {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length) throw new Error("truncated varint");
      const b = buf[i++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error("varint too long");
    }
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      varint();
      yield { no, wire };
    } else if (wire === 1) {
      i += 8;
      yield { no, wire };
    } else if (wire === 2) {
      const len = varint();
      if (i + len > buf.length) throw new Error("truncated field");
      yield { no, wire, bytes: buf.subarray(i, i + len) };
      i += len;
    } else if (wire === 5) {
      i += 4;
      yield { no, wire };
    } else {
      throw new Error(`unsupported protobuf wire type ${wire}`);
    }
  }
}

const sub = (buf: Uint8Array, no: number): Uint8Array[] => [...fields(buf)].filter((f) => f.no === no && f.bytes).map((f) => f.bytes!);

const utf8 = new TextDecoder();

/** Names of graph inputs/outputs whose type is a tensor with no shape field. */
export function shapelessValues(model: Uint8Array): Set<string> {
  const names = new Set<string>();
  for (const graph of sub(model, 7)) {
    for (const value of [...sub(graph, 11), ...sub(graph, 12)]) {
      const name = sub(value, 1)[0];
      const tensorTypes = sub(value, 2).flatMap((t) => sub(t, 1));
      if (name && tensorTypes.length > 0 && tensorTypes.every((t) => sub(t, 2).length === 0)) names.add(utf8.decode(name));
    }
  }
  return names;
}
