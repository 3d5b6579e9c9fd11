import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { loadWorkerConfig, type MirrorConfig, type WorkerConfig } from '@tunasync/core';
import { fixturePath } from '@tunasync/testkit';
import { makeTempDir, type TempDir } from './helpers.js';

const MAIN = `
[global]
name = "test_worker"
log_dir = "/var/log/tunasync/{{.Name}}"
mirror_dir = "/srv/mirrors"
concurrent = 4
interval = 60
retry = 3
timeout = 3600
rsync_options = ["--global-opt"]
exec_on_success = ["/bin/global-success"]
exec_on_failure = ["/bin/global-failure"]
dangerous_global_success_exit_codes = [10, 20]
dangerous_global_rsync_success_exit_codes = [24, 25]
min_free_space = "10G"
check_upstream = true

[manager]
api_base = "http://ignored.example:14242"
api_base_list = ["http://m1.example:14242/", "https://m2.example"]
ca_cert = "/etc/tunasync/ca.pem"
token = "worker-token"
client_cert = "/etc/tunasync/worker-client.crt"
client_key = "/etc/tunasync/worker-client.key"

[server]
hostname = "worker.example"
listen_addr = "0.0.0.0"
listen_port = 6001
ssl_cert = "/etc/tunasync/worker.crt"
ssl_key = "/etc/tunasync/worker.key"

[cgroup]
enable = true
base_path = "/sys/fs/cgroup"
group = "tunasync"
subsystem = "memory"

[docker]
enable = true
volumes = ["/etc/ssl:/etc/ssl:ro"]
options = ["--cpus=1"]

[zfs]
enable = true
zpool = "tank"

[btrfs_snapshot]
enable = true
snapshot_path = "/snapshots"

[include]
include_mirrors = "mirrors.d/*.conf"

[[mirrors]]
name = "everything"
provider = "rsync"
upstream = "rsync://rsync.example.org/everything/"
interval = 30
retry = 5
timeout = 600
mirror_dir = "/data/everything"
mirror_subdir = "ignored-when-mirror_dir-is-set"
log_dir = "/logs/{{ .Name }}/runs"
role = "slave"
exec_on_success = ["/bin/own-success"]
exec_on_failure = ["/bin/own-failure"]
exec_on_success_extra = ["/bin/extra-success"]
exec_on_failure_extra = ["/bin/extra-failure"]
success_exit_codes = [20, 30]
rsync_success_exit_codes = [25, 26]
command = "/usr/local/bin/rsync"
fail_on_match = "ERROR: .*"
size_pattern = "size: ([0-9.]+[KMGT]?)"
transferred_pattern = "moved: ([0-9,]+) bytes"
use_ipv6 = true
use_ipv4 = false
exclude_file = "/etc/excludes/everything.txt"
username = "mirror"
password = "hunter2"
rsync_no_timeout = true
rsync_timeout = 90
rsync_options = ["--mirror-opt"]
rsync_override = ["-rt", "--delete"]
rsync_override_only = true
stage1_profile = "debian"
memory_limit = "512M"
docker_image = "alpine:3"
docker_volumes = ["/a:/a"]
docker_options = ["--net=host"]
snapshot_path = "/snapshots/everything"
min_free_space = "5%"
upstream_fallback = ["rsync://b.example.org/everything/"]
atomic_publish = true
  [mirrors.env]
  HTTP_PROXY = "http://proxy:3128"

[[mirrors]]
provider = "rsync"
interval = 45
mirror_subdir = "debian-family"
exec_on_failure_extra = ["/bin/family-failure"]
log_dir = "/family-logs/{{.Name}}"
env = { A = "parent-a", B = "parent-b" }
  [[mirrors.mirrors]]
  name = "debian"
  upstream = "rsync://ftp.debian.org/debian/"
  env = { B = "child-b", C = "child-c" }
  [[mirrors.mirrors]]
  name = "ubuntu-group"
  upstream = "rsync://archive.ubuntu.com/ubuntu/"
  interval = 90
  env = { B = "group-b" }
    [[mirrors.mirrors.mirrors]]
    name = "ubuntu"
    [[mirrors.mirrors.mirrors]]
    name = "ubuntu-ports"
    upstream = "rsync://ports.ubuntu.com/ubuntu-ports/"
    use_ipv4 = true
    env = { D = "d" }
    provider = "two-stage-rsync"
    stage1_profile = "debian-oldstyle"

[[mirrors]]
name = "pypi"
provider = "command"
upstream = "https://pypi.org/"
command = "/usr/bin/bandersnatch mirror"
success_exit_codes = [20, 30, 30]
rsync_success_exit_codes = [99]
`;

const INCLUDED_B = `
[[mirrors]]
name = "from-b"
provider = "command"
command = "/bin/true"
upstream = "https://b.example/"
`;
const INCLUDED_A = `
[[mirrors]]
name = "from-a"
upstream = "rsync://a.example/a/"
  [[mirrors.mirrors]]
  name = "from-a-child"
`;

describe('worker.conf with every option', () => {
  let tmp: TempDir;
  let config: WorkerConfig;
  let warnings: string[];
  const mirror = (name: string): MirrorConfig => {
    const m = config.mirrors.find((x) => x.name === name);
    if (!m) throw new Error(`no mirror ${name}`);
    return m;
  };

  beforeAll(() => {
    tmp = makeTempDir();
    tmp.write('mirrors.d/b.conf', INCLUDED_B);
    tmp.write('mirrors.d/a.conf', INCLUDED_A);
    tmp.write('mirrors.d/notes.txt', 'not = "toml [[ at all');
    ({ config, warnings } = loadWorkerConfig(tmp.write('worker.conf', MAIN)));
  });
  afterAll(() => tmp.remove());

  it('loads without warnings', () => {
    expect(warnings).toEqual([]);
    expect(config.file).toBe(tmp.path('worker.conf'));
  });

  it('makes jobs of leaves only, in file order then included files sorted', () => {
    expect(config.mirrors.map((m) => m.name)).toEqual(['everything', 'debian', 'ubuntu', 'ubuntu-ports', 'pypi', 'from-a-child', 'from-b']);
    expect(config.include).toEqual({ includeMirrors: 'mirrors.d/*.conf', files: [tmp.path('mirrors.d/a.conf'), tmp.path('mirrors.d/b.conf')] });
    expect(mirror('ubuntu-ports').source).toEqual({ file: tmp.path('worker.conf'), path: 'mirrors[1].mirrors[1].mirrors[1]' });
    expect(mirror('from-a-child').source).toEqual({ file: tmp.path('mirrors.d/a.conf'), path: 'mirrors[0].mirrors[0]' });
  });

  it('resolves the global sections', () => {
    expect(config.global).toEqual({
      name: 'test_worker',
      logDir: '/var/log/tunasync/{{.Name}}',
      mirrorDir: '/srv/mirrors',
      concurrent: 4,
      keepSyncsOnRestart: false,
      interval: 60,
      retry: 3,
      timeout: 3600,
      rsyncOptions: ['--global-opt'],
      execOnSuccess: ['/bin/global-success'],
      execOnFailure: ['/bin/global-failure'],
      successExitCodes: [10, 20],
      rsyncSuccessExitCodes: [24, 25],
      stateDir: '/var/log/tunasync/.tunasync-state/test_worker',
      minFreeSpace: '10G',
      checkUpstream: true,
      // Scheduling (issue 18): unset, the defaults.
      timezone: '',
      intervalMode: '',
      fixedRateAnchor: '',
      blackout: [],
      priority: 50,
      perUpstreamConcurrent: 0,
      spread: '',
    });
    // api_base_list wins over api_base; trailing slashes are dropped.
    expect(config.manager).toEqual({
      apiBaseList: ['http://m1.example:14242', 'https://m2.example'],
      caCert: '/etc/tunasync/ca.pem',
      token: 'worker-token',
      clientCert: '/etc/tunasync/worker-client.crt',
      clientKey: '/etc/tunasync/worker-client.key',
    });
    expect(config.server).toEqual({ hostname: 'worker.example', listenAddr: '0.0.0.0', listenPort: 6001, sslCert: '/etc/tunasync/worker.crt', sslKey: '/etc/tunasync/worker.key' });
    expect(config.cgroup).toEqual({ enable: true, basePath: '/sys/fs/cgroup', group: 'tunasync', subsystem: 'memory' });
    expect(config.docker).toEqual({ enable: true, volumes: ['/etc/ssl:/etc/ssl:ro'], options: ['--cpus=1'] });
    expect(config.zfs).toEqual({ enable: true, zpool: 'tank' });
    expect(config.btrfsSnapshot).toEqual({ enable: true, snapshotPath: '/snapshots' });
  });

  it('resolves a mirror that sets every option', () => {
    expect(mirror('everything')).toEqual({
      name: 'everything',
      provider: 'rsync',
      upstream: 'rsync://rsync.example.org/everything/',
      interval: 30,
      cron: '',
      retry: 5,
      timeout: 600,
      mirrorDir: '/data/everything',
      logDir: '/logs/everything/runs',
      env: { HTTP_PROXY: 'http://proxy:3128' },
      role: 'slave',
      isMaster: false,
      execOnSuccess: ['/bin/own-success', '/bin/extra-success'],
      execOnFailure: ['/bin/own-failure', '/bin/extra-failure'],
      successExitCodes: [10, 20, 30, 24, 25, 26],
      command: '/usr/local/bin/rsync',
      failOnMatch: 'ERROR: .*',
      sizePattern: 'size: ([0-9.]+[KMGT]?)',
      transferredPattern: 'moved: ([0-9,]+) bytes',
      useIPv4: false,
      useIPv6: true,
      excludeFile: '/etc/excludes/everything.txt',
      username: 'mirror',
      password: 'hunter2',
      rsyncNoTimeout: true,
      rsyncTimeout: 90,
      rsyncGlobalOptions: ['--global-opt'],
      rsyncOptions: ['--mirror-opt'],
      rsyncOverride: ['-rt', '--delete'],
      rsyncOverrideOnly: true,
      stage1Profile: 'debian',
      memoryLimit: 512 * 1024 * 1024,
      dockerImage: 'alpine:3',
      dockerVolumes: ['/a:/a'],
      dockerOptions: ['--net=host'],
      snapshotPath: '/snapshots/everything',
      minFreeSpace: { text: '5%', percent: 5 },
      checkUpstream: true,
      upstreamFallback: ['rsync://b.example.org/everything/'],
      atomicPublish: true,
      timezone: '',
      intervalMode: '',
      fixedRateAnchor: '',
      blackout: [],
      priority: 50,
      source: { file: tmp.path('worker.conf'), path: 'mirrors[0]' },
    });
  });

  it('inherits parent fields, overrides what a child sets and merges env key by key', () => {
    const debian = mirror('debian');
    expect(debian.interval).toBe(45);
    expect(debian.env).toEqual({ A: 'parent-a', B: 'child-b', C: 'child-c' });
    expect(debian.mirrorDir).toBe('/srv/mirrors/debian-family/debian');
    expect(debian.provider).toBe('rsync');
    const ubuntu = mirror('ubuntu');
    expect(ubuntu.interval).toBe(90);
    expect(ubuntu.upstream).toBe('rsync://archive.ubuntu.com/ubuntu/');
    expect(ubuntu.env).toEqual({ A: 'parent-a', B: 'group-b' });
    const ports = mirror('ubuntu-ports');
    expect(ports).toMatchObject({ interval: 90, provider: 'two-stage-rsync', stage1Profile: 'debian-oldstyle', useIPv4: true, upstream: 'rsync://ports.ubuntu.com/ubuntu-ports/' });
    expect(ports.mirrorDir).toBe('/srv/mirrors/debian-family/ubuntu-ports');
    expect(ports.env).toEqual({ A: 'parent-a', B: 'group-b', D: 'd' });
    // A child's own env does not leak into its siblings.
    expect(mirror('ubuntu').env).not.toHaveProperty('C');
    expect(mirror('ubuntu').env).not.toHaveProperty('D');
  });

  it('substitutes {{.Name}} in log_dir and falls back to the global mirror_dir, interval, retry and timeout', () => {
    const pypi = mirror('pypi');
    expect(pypi.logDir).toBe('/var/log/tunasync/pypi');
    expect(mirror('from-b').logDir).toBe('/var/log/tunasync/from-b');
    // An inherited log_dir template takes each leaf's own name.
    expect(mirror('debian').logDir).toBe('/family-logs/debian');
    expect(mirror('ubuntu-ports').logDir).toBe('/family-logs/ubuntu-ports');
    expect(pypi.mirrorDir).toBe('/srv/mirrors/pypi');
    expect(pypi).toMatchObject({ interval: 60, retry: 3, timeout: 3600, role: 'master', isMaster: true, memoryLimit: undefined, rsyncOverride: undefined });
  });

  it('applies the exec_on_* rules: the mirror list replaces the global one, _extra is appended', () => {
    expect(mirror('debian').execOnSuccess).toEqual(['/bin/global-success']);
    expect(mirror('debian').execOnFailure).toEqual(['/bin/global-failure', '/bin/family-failure']);
    expect(mirror('pypi').execOnFailure).toEqual(['/bin/global-failure']);
  });

  it('merges exit codes without duplicates; rsync lists only for rsync providers', () => {
    expect(mirror('pypi').successExitCodes).toEqual([10, 20, 30]);
    expect(mirror('debian').successExitCodes).toEqual([10, 20, 24, 25]);
    expect(mirror('ubuntu-ports').successExitCodes).toEqual([10, 20, 24, 25]);
    expect(mirror('from-b').successExitCodes).toEqual([10, 20]);
  });
});

describe("a large site's worker config (packages/testkit/fixtures)", () => {
  const fixture = fixturePath('large-site-worker.conf');

  it('loads unchanged with its 79 mirrors', () => {
    const { config, warnings } = loadWorkerConfig(fixture);
    expect(warnings).toEqual([]);
    expect(config.mirrors).toHaveLength(79);
    expect(new Set(config.mirrors.map((m) => m.name)).size).toBe(79);
    expect(config.global).toMatchObject({ name: 'mirror-box-1', concurrent: 8, interval: 240 });
    expect(config.manager).toEqual({ apiBaseList: ['http://manager.mirrors.example.edu:14242'], caCert: '', token: 'example-worker-token', clientCert: '', clientKey: '' });
    for (const m of config.mirrors) {
      expect(m.logDir).toBe(join('/srv/mirror/log', m.name));
      expect(m.logDir).not.toContain('{{');
    }
    const byName = new Map(config.mirrors.map((m) => [m.name, m]));
    expect(byName.get('alpine')).toMatchObject({ provider: 'rsync', memoryLimit: 256 * 1024 * 1024, mirrorDir: '/srv/mirror/data/alpine' });
    expect(byName.get('debian')).toMatchObject({ provider: 'two-stage-rsync', stage1Profile: 'debian', successExitCodes: [23] });
    expect(byName.get('raspbian')).toMatchObject({ useIPv4: true, rsyncOptions: ['--include=*.diff/', '--exclude=*.diff/Index'] });
    expect(byName.get('debian-ports')?.env).toEqual({ TUNASYNC_DEBIAN_ARCHES: 'riscv64 loong64' });
    expect(byName.get('debian-cd')).toMatchObject({ provider: 'rsync', mirrorDir: '/srv/mirror/data/cd-images/debian-cd' });
    expect(byName.get('anaconda')).toMatchObject({ provider: 'command', dockerImage: 'mirror-scripts:latest' });
  });
});
