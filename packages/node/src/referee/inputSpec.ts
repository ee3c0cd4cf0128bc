/**
 * The input spec a refereeable version declares (IModelRegistry.RefereeProgram.inputSpec): the
 * keccak256 of its one input's name, tensor-codec dtype code and shape, ABI-encoded as
 * RefereeResolver.inputSpecOf computes it from a job's input bytes. An invalid-input claim on such a
 * version is false when the job's input has exactly this spec (docs/REFEREE.md, "The resolver").
 */
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { DTYPES, type DType } from "../codec/tensor";

/** `keccak256(abi.encode(bytes name, uint8 dtype, uint32[] shape))`. */
export function refereeInputSpec(name: string, dtype: DType, shape: readonly number[]): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes", "uint8", "uint32[]"], [toUtf8Bytes(name), DTYPES[dtype], shape]));
}
