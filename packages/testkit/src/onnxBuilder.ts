import { onnx } from "onnx-proto";
import { encodeValues, TensorCodecError } from "../../node/src/sdk";

/**
 * A tiny, deterministic ONNX model builder: declare inputs, outputs, initializers and nodes, get
 * the model's bytes. The same calls always give the same bytes (node names are derived from their
 * position, tensor values are stored as little-endian raw data, protobuf field order is fixed), so
 * a fixture's SHA-256, and hence its model id, is stable across machines and runs.
 *
 * Models use IR version 7 and opset 13 of the default domain (ai.onnx), which every
 * onnxruntime release since 1.7 runs.
 */

export const IR_VERSION = 7;
export const OPSET_VERSION = 13;

/** Element types the builder can declare; the names match the canonical codec's dtypes. */
export type ElemType = "float32" | "float64" | "int32" | "int64" | "bool" | "uint8" | "int8";

/** TensorProto.DataType code of each element type. */
export const ONNX_ELEM_TYPE: Record<ElemType, onnx.TensorProto.DataType> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
};


/** A dimension: a fixed size, or a symbolic name (`"N"`) for a dynamic one. */
export type Dim = number | string;

/** A constant tensor: an initializer, or the value of a Constant node. */
export interface ConstTensor {
  type: ElemType;
  /** `[]` for a scalar. */
  dims: readonly number[];
  values: readonly (number | bigint | boolean)[];
}

/** A node attribute, tagged because a JavaScript number does not say whether it is an int or a float. */
export type Attribute =
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { string: string }
  | { tensor: ConstTensor };

/** Thrown when a model description is inconsistent (duplicate names, wrong value counts...). */
export class OnnxBuilderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxBuilderError";
  }
}

export class OnnxModelBuilder {
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly names = new Set<string>();

  /** `graphName` also names the model in its metadata (it does not change how it runs). */
  constructor(private readonly graphName: string) {}

  /** Declares a graph input. */
  input(name: string, type: ElemType, shape: readonly Dim[]): this {
    this.claim(name);
    this.inputs.push(valueInfo(name, type, shape));
    return this;
  }

  /** Declares a graph output; `name` must be produced by a node. */
  output(name: string, type: ElemType, shape: readonly Dim[]): this {
    this.outputs.push(valueInfo(name, type, shape));
    return this;
  }

  /** Adds a constant tensor to the graph and returns its name, for use as a node input. */
  initializer(name: string, type: ElemType, dims: readonly number[], values: readonly (number | bigint | boolean)[]): string {
    this.claim(name);
    this.initializers.push(tensorProto(name, { type, dims, values }));
    return name;
  }

  /** Adds a node of the default domain; nodes must be added in topological order. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, Attribute> = {}): this {
    for (const out of outputs) this.claim(out);
    this.nodes.push({
      name: `${opType}_${this.nodes.length}`,
      opType,
      input: [...inputs],
      output: [...outputs],
      // Sorted so that the bytes do not depend on the order the caller wrote the attributes in.
      attribute: Object.keys(attributes)
        .sort()
        .map((key) => attributeProto(key, attributes[key])),
    });
    return this;
  }

  /** The ModelProto (for inspection). */
  toModel(): onnx.ModelProto {
    for (const out of this.outputs) {
      if (!this.names.has(out.name ?? "")) throw new OnnxBuilderError(`output "${out.name}" is not produced by any node`);
    }
    return onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET_VERSION }],
      producerName: "glassbox-onnx-builder",
      producerVersion: "1",
      graph: {
        name: this.graphName,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
        node: this.nodes,
      },
    });
  }

  /** The model's serialized bytes. */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }

  private claim(name: string): void {
    if (name.length === 0) throw new OnnxBuilderError("tensor names must not be empty");
    if (this.names.has(name)) throw new OnnxBuilderError(`tensor name "${name}" is defined twice`);
    this.names.add(name);
  }
}

function valueInfo(name: string, type: ElemType, shape: readonly Dim[]): onnx.IValueInfoProto {
  const dim = shape.map((d): onnx.TensorShapeProto.IDimension => {
    if (typeof d === "string") {
      if (d.length === 0) throw new OnnxBuilderError(`"${name}": a symbolic dimension needs a name`);
      return { dimParam: d };
    }
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxBuilderError(`"${name}": bad dimension ${d}`);
    return { dimValue: d };
  });
  return { name, type: { tensorType: { elemType: ONNX_ELEM_TYPE[type], shape: { dim } } } };
}

function tensorProto(name: string, t: ConstTensor): onnx.ITensorProto {
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxBuilderError(`tensor "${name}": bad dimension ${d}`);
  }
  const count = t.dims.reduce((n, d) => n * d, 1);
  if (t.values.length !== count) {
    throw new OnnxBuilderError(`tensor "${name}": dims [${t.dims.join(", ")}] need ${count} values, got ${t.values.length}`);
  }
  return { name, dims: [...t.dims], dataType: ONNX_ELEM_TYPE[t.type], rawData: rawData(name, t.type, t.values) };
}

/** Values as ONNX raw_data: the canonical codec's packed little-endian layout. */
function rawData(name: string, type: ElemType, values: readonly (number | bigint | boolean)[]): Uint8Array {
  try {
    return encodeValues(name, type, values);
  } catch (err) {
    if (err instanceof TensorCodecError) throw new OnnxBuilderError(err.message);
    throw err;
  }
}

function attributeProto(name: string, a: Attribute): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("int" in a) return { name, type: T.INT, i: checkedInt(name, a.int) };
  if ("float" in a) return { name, type: T.FLOAT, f: a.float };
  if ("ints" in a) return { name, type: T.INTS, ints: a.ints.map((i) => checkedInt(name, i)) };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ("string" in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.string) };
  return { name, type: T.TENSOR, t: tensorProto(name, a.tensor) };
}

function checkedInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new OnnxBuilderError(`attribute "${name}": ${v} is not an integer`);
  return v;
}
