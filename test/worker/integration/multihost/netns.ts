/**
 * Network namespaces for multi-host tests: a bridge in the main namespace and one namespace per
 * "host", joined to the bridge by a veth pair. Everything is named with a random suffix and
 * removed by `remove()`.
 */
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

export interface INetHost {
  /** Namespace name, for `ip netns exec`. */
  ns: string;
  /** This host's address on the bridge. */
  address: string;
}

export class TestNetwork {
  readonly hosts: INetHost[] = [];
  /** The main namespace's address on the bridge: services listen here for the hosts. */
  readonly mainAddress: string;
  private readonly bridge: string;
  private readonly suffix = randomBytes(3).toString('hex');
  private readonly subnet: string;
  private created = false;

  constructor() {
    // A random /24 in 10.200-249.x: two test runs at once do not collide.
    const b = randomBytes(2);
    this.subnet = `10.${200 + (b[0] % 50)}.${b[1]}`;
    this.mainAddress = `${this.subnet}.1`;
    this.bridge = `nbgbr${this.suffix}`;
  }

  create(): void {
    ip('link', 'add', this.bridge, 'type', 'bridge');
    this.created = true;
    ip('addr', 'add', `${this.mainAddress}/24`, 'dev', this.bridge);
    ip('link', 'set', this.bridge, 'up');
  }

  /** A new namespace with loopback up and `<subnet>.<n+2>` on the bridge. */
  addHost(): INetHost {
    const n = this.hosts.length;
    const ns = `nbg${this.suffix}h${n}`;
    const outer = `nbg${this.suffix}o${n}`;
    const inner = `nbg${this.suffix}i${n}`;
    const address = `${this.subnet}.${n + 2}`;
    ip('netns', 'add', ns);
    this.hosts.push({ ns, address });
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'netns', ns);
    ip('link', 'set', outer, 'master', this.bridge);
    ip('link', 'set', outer, 'up');
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${address}/24`, 'dev', inner);
    ip('netns', 'exec', ns, 'ip', 'link', 'set', inner, 'up');
    return { ns, address };
  }

  /** Deleting a namespace deletes its veth end, and so the pair; then the bridge. Idempotent. */
  remove(): void {
    for (const h of this.hosts.splice(0)) {
      try {
        ip('netns', 'del', h.ns);
      } catch {
        /* already gone */
      }
    }
    if (this.created) {
      this.created = false;
      try {
        ip('link', 'del', this.bridge);
      } catch {
        /* already gone */
      }
    }
  }
}
