/** Certificates made with openssl for the TLS tests: the testkit's `makeTlsFiles`. */
export { makeTlsFiles, type TlsFiles } from '@tunasync/testkit';
