/**
 * @platformatic/kafka 1.35 with `groupProtocol: 'consumer'` (KIP-848)
 * against Samsa: members share a topic's partitions by the broker's uniform
 * assignor, a member that leaves hands its partitions to the other without
 * the other stopping, and a member killed with SIGKILL loses its partitions
 * when its session times out.
 */
import t from 'tap';
import { PlatformaticMember, spawnPlatformaticMember } from './helpers/platformatic-member.js';
import { killedMember, shareThenLeave } from './helpers/consumer-protocol-clients-scenarios.js';

t.test('two members share six partitions three each; when one leaves the other takes its three without giving up its own, every record read once', (t) =>
  shareThenLeave(t, PlatformaticMember.start));

t.test('a member killed with SIGKILL loses its partitions to the other within the session timeout', (t) =>
  killedMember(t, PlatformaticMember.start, spawnPlatformaticMember));
