import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "./atomic-write";
import { tighten } from "./data-dir";

/** Marks a sealed value: the version of the construction, then base64url(iv ‖ tag ‖ ciphertext). */
const SEALED_PREFIX = "sealed:v1:";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Encrypts secret values at rest with AES-256-GCM under a per-data-dir key, so that a database
 * (and its WAL) never holds a real value: only the key file (mode 0600, beside the database)
 * opens them. Each value is bound to its owner — the secret's name, the webhook target's id —
 * as the associated data, so a sealed value copied onto another owner does not open.
 *
 * @example
 * const sealer = SecretSealer.open(join(dataDir, "secrets.key"));
 * const stored = sealer.seal(value, name); // "sealed:v1:…"
 * sealer.unseal(stored, name) === value;
 */
export class SecretSealer {
  private constructor(
    private readonly key: Buffer,
    private readonly keyFile: string,
  ) {}

  /** Loads the key in `keyFile`, creating a random one (mode 0600) when there is none. */
  static open(keyFile: string): SecretSealer {
    if (!existsSync(keyFile))
      writeFileAtomic(keyFile, `${randomBytes(KEY_BYTES).toString("base64")}\n`, { mode: 0o600 });
    tighten(keyFile, 0o600);
    const key = Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64");
    if (key.length !== KEY_BYTES)
      throw new Error(
        `${keyFile} is not a secrets key (${KEY_BYTES} bytes, base64): restore the file this data dir was made with`,
      );
    return new SecretSealer(key, keyFile);
  }

  /** True when `text` is a sealed value (not a value from before sealing). */
  static isSealed(text: string): boolean {
    return text.startsWith(SEALED_PREFIX);
  }

  /** `value` sealed for its owner `name`. */
  seal(value: string, name: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(name));
    const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
    return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The value sealed for its owner `name`; throws, naming the fix, when this key cannot open it. */
  unseal(sealed: string, name: string): string {
    const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), "base64url");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(name));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new Error(
        `the secret value of ${JSON.stringify(name)} does not open with ${this.keyFile}: restore the key file this data dir was made with, or delete ${JSON.stringify(name)} and create it again`,
      );
    }
  }
}
