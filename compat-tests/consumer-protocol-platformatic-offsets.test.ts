/**
 * @platformatic/kafka 1.35 (`groupProtocol: 'consumer'`) against Samsa,
 * continued: committed offsets carry over to the next member and over a
 * broker restart, and a classic (kafkajs) group converts to a consumer group
 * when empty and back. (Regex subscriptions are not tested: 1.35 sends topic
 * names only.)
 */
import t from 'tap';
import { PlatformaticMember } from './helpers/platformatic-member.js';
import { classicConversion, resumeAfterRestart } from './helpers/consumer-protocol-clients-scenarios.js';

t.test('committed offsets carry over to the next member of the group, and over a broker restart', (t) =>
  resumeAfterRestart(t, PlatformaticMember.start));

t.test('an empty classic group converts to a consumer group and back, offsets kept both ways', (t) =>
  classicConversion(t, PlatformaticMember.start));
