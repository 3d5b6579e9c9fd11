/**
 * The X.509 extensions this package writes, as node-forge extension objects:
 * the root CA's (CA:TRUE, keyCertSign/cRLSign) and a host's (those of
 * tunasync's `req.cnf` `[v3_req]`, plus serverAuth/clientAuth so the same
 * certificate serves a daemon and authenticates it as a client).
 */

/** A node-forge extension description. */
export type Extension = Record<string, unknown> & { name: string };

/** basicConstraints CA:TRUE, keyUsage keyCertSign and cRLSign (both critical), subjectKeyIdentifier. */
export function caExtensions(): Extension[] {
  return [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ];
}

/** subjectAltName entries: DNS names (type 2), then IP addresses (type 7). */
export function altNames(dns: readonly string[], ips: readonly string[]): { type: number; value?: string; ip?: string }[] {
  return [...dns.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))];
}

/**
 * The host extensions requested in the CSR and written in the certificate:
 * basicConstraints CA:FALSE, keyUsage nonRepudiation/digitalSignature/
 * keyEncipherment, extendedKeyUsage serverAuth/clientAuth, subjectAltName.
 */
export function hostExtensions(dns: readonly string[], ips: readonly string[]): Extension[] {
  return [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', nonRepudiation: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: altNames(dns, ips) },
  ];
}

