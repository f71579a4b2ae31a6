import { randomBytes, webcrypto } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext, type SecureContext } from "node:tls";
import { isIP } from "node:net";
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { writeFileAtomic } from "../../shared/atomic-write";
import { privateDir, tighten } from "../../shared/data-dir";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const crypto = webcrypto;
x509.cryptoProvider.set(crypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** Leaf certificates live as long as browsers accept (397 days); a new one is issued after a restart. */
const LEAF_DAYS = 397;
const CA_YEARS = 10;

const serial = () => {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString("hex");
};

async function privateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

/**
 * The local certificate authority sandboxes trust: an ECDSA P-256 key and a self-signed
 * certificate, created once per data dir. The key stays in `dir` (mode 0600), host side; only
 * {@link certFile} is ever shown to a sandbox. Leaf certificates for the hosts the egress layer
 * terminates TLS for are issued on demand and cached for the life of the process.
 */
export class LocalCa {
  private readonly contexts = new Map<string, Promise<SecureContext>>();
  private leafKeys: Promise<CryptoKeyPair> | undefined;

  private constructor(
    /** PEM file of the CA certificate. */
    readonly certFile: string,
    private readonly cert: x509.X509Certificate,
    private readonly key: CryptoKey,
  ) {}

  /** Loads the CA in `dir`, creating it on first use. */
  static async open(dir: string): Promise<LocalCa> {
    privateDir(dir);
    const keyFile = join(dir, "ca-key.pem");
    const certFile = join(dir, "ca-cert.pem");
    if (!existsSync(keyFile) || !existsSync(certFile)) await LocalCa.create(keyFile, certFile);
    tighten(keyFile, 0o600);
    const key = await crypto.subtle.importKey(
      "pkcs8",
      x509.PemConverter.decodeFirst(readFileSync(keyFile, "utf8")),
      ALGORITHM,
      false,
      ["sign"],
    );
    return new LocalCa(certFile, new x509.X509Certificate(readFileSync(certFile, "utf8")), key);
  }

  private static async create(keyFile: string, certFile: string): Promise<void> {
    const keys = await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: "CN=Superserve Local CA, O=pulumi-superserve-mesa local backends",
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + CA_YEARS * 365 * DAY_MS),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    // The key first: a crash between the two leaves no certificate, so the next open makes both.
    writeFileAtomic(keyFile, await privateKeyPem(keys.privateKey), { mode: 0o600 });
    writeFileAtomic(certFile, cert.toString("pem"), { mode: 0o644 });
  }

  /** A TLS server context presenting a certificate for `host`, signed by this CA. */
  secureContext(host: string): Promise<SecureContext> {
    let ctx = this.contexts.get(host);
    if (!ctx) {
      ctx = this.issue(host);
      this.contexts.set(host, ctx);
      ctx.catch(() => this.contexts.delete(host));
    }
    return ctx;
  }

  private async issue(host: string): Promise<SecureContext> {
    this.leafKeys ??= crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
    const keys = await this.leafKeys;
    const now = Date.now();
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${host}`,
      issuer: this.cert.subject,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + LEAF_DAYS * DAY_MS),
      publicKey: keys.publicKey,
      signingKey: this.key,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: isIP(host) ? "ip" : "dns", value: host },
        ]),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
      ],
    });
    return createSecureContext({
      key: await privateKeyPem(keys.privateKey),
      cert: `${leaf.toString("pem")}\n${this.cert.toString("pem")}\n`,
    });
  }
}
