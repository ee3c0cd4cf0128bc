/**
 * Where the node's private key comes from: an environment variable (GLASSBOX_PRIVATE_KEY, or the
 * variable named by --key), or an encrypted JSON keystore whose password is in
 * GLASSBOX_KEYSTORE_PASSWORD. A raw key is never read from the command line or from a plain file,
 * so it cannot end up in shell history or in a committed file; error messages never echo a key.
 */
import fs from "node:fs";
import { Wallet, type HDNodeWallet, type Provider } from "ethers";

export const KEYSTORE_PASSWORD_VAR = "GLASSBOX_KEYSTORE_PASSWORD";

/** Thrown when no usable key is configured; the message says how to provide one. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyError";
  }
}

export interface KeySource {
  /** Name of the environment variable with the hex private key. */
  key: string;
  /** Encrypted JSON keystore file; takes precedence over `key` when set. */
  keystore: string | undefined;
}

/** The node's wallet, connected to `provider` when one is given. */
export async function loadWallet(source: KeySource, env: Record<string, string | undefined>, provider?: Provider): Promise<Wallet | HDNodeWallet> {
  const wallet = source.keystore !== undefined ? await fromKeystore(source.keystore, env) : fromEnv(source.key, env);
  return provider ? wallet.connect(provider) : wallet;
}

function fromEnv(name: string, env: Record<string, string | undefined>): Wallet {
  const raw = env[name]?.trim();
  if (!raw) throw new KeyError(`no key: set ${name} or --keystore FILE`);
  const hex = raw.startsWith("0x") ? raw : `0x${raw}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new KeyError(`${name} is not a private key (expected 32 bytes of hex)`);
  try {
    return new Wallet(hex);
  } catch {
    throw new KeyError(`${name} is not a valid secp256k1 private key`);
  }
}

async function fromKeystore(file: string, env: Record<string, string | undefined>): Promise<Wallet | HDNodeWallet> {
  let json: string;
  try {
    json = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new KeyError(`cannot read keystore ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (!isEncryptedKeystore(json)) throw new KeyError(`${file} is not an encrypted JSON keystore (plain key files are refused)`);
  const password = env[KEYSTORE_PASSWORD_VAR];
  if (password === undefined) throw new KeyError(`keystore ${file} needs its password: set ${KEYSTORE_PASSWORD_VAR}`);
  try {
    return await Wallet.fromEncryptedJson(json, password);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new KeyError(/password/i.test(msg) ? `wrong password for keystore ${file} (${KEYSTORE_PASSWORD_VAR})` : `cannot decrypt keystore ${file}: ${msg}`);
  }
}

function isEncryptedKeystore(json: string): boolean {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== "object" || parsed === null) return false;
    const crypto = (parsed as { crypto?: unknown; Crypto?: unknown }).crypto ?? (parsed as { Crypto?: unknown }).Crypto;
    return typeof crypto === "object" && crypto !== null && "ciphertext" in crypto;
  } catch {
    return false;
  }
}
