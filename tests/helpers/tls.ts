/**
 * A test CA and a server certificate for localhost / 127.0.0.1 it signs,
 * made with openssl in `dir` (rustls refuses a self-signed CA certificate
 * used as the server's own, so the two are separate).
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

/** Paths of the files made. */
export interface TestCertificates {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Makes the CA and the server certificate in `dir`. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const openssl = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  };
  await openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=skiff test CA",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
  );
  await openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=localhost",
    "-keyout",
    "key.pem",
    "-out",
    "req.csr",
  );
  await Deno.writeTextFile(
    `${dir}/ext.cnf`,
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
  );
  await openssl(
    "x509",
    "-req",
    "-in",
    "req.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    "ext.cnf",
    "-out",
    "cert.pem",
  );
  return {
    caFile: `${dir}/ca.pem`,
    certFile: `${dir}/cert.pem`,
    keyFile: `${dir}/key.pem`,
  };
}
