#!/usr/bin/env node
/**
 * bin `tunasync-certs`: parses flags and calls createCa or
 * createHostCertificate; prints what it wrote, or the error and exit status 1.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { errorMessage } from '@tunasync/core';
import { DEFAULT_CA_COMMON_NAME, createCa } from './ca.js';
import { createHostCertificate } from './host.js';
import { DEFAULT_SUBJECT, type KeyAndCertificateOptions } from './subject.js';

const subjectOptions = {
  country: { type: 'string', default: DEFAULT_SUBJECT.country, describe: 'subject countryName (two letters; "" to leave out)' },
  state: { type: 'string', default: DEFAULT_SUBJECT.state, describe: 'subject stateOrProvinceName' },
  locality: { type: 'string', default: DEFAULT_SUBJECT.locality, describe: 'subject localityName' },
  'org-unit': { type: 'string', default: DEFAULT_SUBJECT.orgUnit, describe: 'subject organizationalUnitName' },
  days: { type: 'number', default: 365, describe: 'validity in days' },
  'key-size': { type: 'number', default: 2048, describe: 'RSA key size in bits' },
  force: { type: 'boolean', default: false, describe: 'replace existing files' },
} as const;

/** The flags both commands share, as createCa / createHostCertificate options. */
function commonArgs(a: { days: number; 'key-size': number; force: boolean; country: string; state: string; locality: string; 'org-unit': string }): Omit<KeyAndCertificateOptions, 'outDir'> {
  return { days: a.days, keySize: a['key-size'], force: a.force, country: a.country, state: a.state, locality: a.locality, orgUnit: a['org-unit'] };
}

async function run(action: () => Promise<string[]>): Promise<void> {
  try {
    for (const line of await action()) process.stdout.write(`${line}\n`);
  } catch (err) {
    process.stderr.write(`tunasync-certs: ${errorMessage(err)}\n`);
    process.exitCode = 1;
  }
}

await yargs(hideBin(process.argv))
  .scriptName('tunasync-certs')
  .usage('$0 <command> [options]\n\nA root CA and CA-signed host certificates for tunasync-ts TLS, without openssl.')
  .command(
    'ca',
    'make a root CA: DIR/rootCA.key (0600) and DIR/rootCA.crt',
    (y) =>
      y.options({
        out: { type: 'string', demandOption: true, describe: 'directory for rootCA.key and rootCA.crt' },
        cn: { type: 'string', default: DEFAULT_CA_COMMON_NAME, describe: 'subject commonName' },
        ...subjectOptions,
      }),
    (a) =>
      run(async () => {
        const ca = await createCa({
          outDir: a.out,
          commonName: a.cn,
          ...commonArgs(a),
        });
        return [`wrote ${ca.keyFile} (mode 0600)`, `wrote ${ca.certFile} (serial ${ca.serial}, valid until ${ca.notAfter.toISOString()})`];
      }),
  )
  .command(
    'host',
    'make NAME.key (0600), NAME.csr and NAME.crt signed by the CA',
    (y) =>
      y.options({
        ca: { type: 'string', demandOption: true, describe: 'directory holding rootCA.key and rootCA.crt' },
        name: { type: 'string', demandOption: true, describe: 'base name of the files written' },
        dns: { type: 'string', array: true, default: [] as string[], describe: 'DNS name for subjectAltName (repeatable)' },
        ip: { type: 'string', array: true, default: [] as string[], describe: 'IP address for subjectAltName (repeatable)' },
        out: { type: 'string', default: '.', describe: 'directory to write into' },
        cn: { type: 'string', describe: 'subject commonName (default: the first --dns, else the first --ip)' },
        ...subjectOptions,
      }),
    (a) =>
      run(async () => {
        const host = await createHostCertificate({
          caDir: a.ca,
          name: a.name,
          dns: a.dns,
          ip: a.ip,
          outDir: a.out,
          ...(a.cn !== undefined ? { commonName: a.cn } : {}),
          ...commonArgs(a),
        });
        const sans = [...host.dns.map((d) => `DNS:${d}`), ...host.ip.map((i) => `IP:${i}`)].join(', ');
        return [
          `wrote ${host.keyFile} (mode 0600)`,
          `wrote ${host.csrFile}`,
          `wrote ${host.certFile} (serial ${host.serial}, ${sans}, valid until ${host.notAfter.toISOString()})`,
        ];
      }),
  )
  .demandCommand(1, 'name a command: ca or host')
  .strict()
  .version()
  .help()
  .parseAsync();
