/**
 * `samsa topics list|describe|create|delete`: an admin client over the Kafka
 * protocol (kafkajs), so it works against any broker.
 */
import { Kafka, logLevel } from 'kafkajs';

export async function topicsCommand(args: string[]): Promise<void> {
  let bootstrap = process.env.SAMSA_BOOTSTRAP ?? '127.0.0.1:9092';
  let partitions = -1;
  const configs: { name: string; value: string }[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--bootstrap') bootstrap = args[++i]!;
    else if (a === '--partitions') partitions = Number(args[++i]);
    else if (a === '--config') { const [k, ...v] = args[++i]!.split('='); configs.push({ name: k!, value: v.join('=') }); }
    else rest.push(a);
  }
  const [action, ...names] = rest;
  const admin = new Kafka({ clientId: 'samsa-cli', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 1 } }).admin();
  await admin.connect();
  try {
    switch (action) {
      case 'list':
        for (const t of (await admin.listTopics()).sort()) console.log(t);
        break;
      case 'describe': {
        const md = await admin.fetchTopicMetadata(names.length ? { topics: names } : undefined);
        for (const t of md.topics) console.log(`${t.name}\tpartitions: ${t.partitions.length}`);
        break;
      }
      case 'create':
        if (!names.length) throw new Error('samsa topics create <name> [--partitions N] [--config k=v]');
        await admin.createTopics({ topics: names.map((topic) => ({ topic, numPartitions: partitions, configEntries: configs })) });
        console.log(`created ${names.join(', ')}`);
        break;
      case 'delete':
        await admin.deleteTopics({ topics: names });
        console.log(`deleted ${names.join(', ')}`);
        break;
      default:
        throw new Error('usage: samsa topics list|describe [names]|create <name> [--partitions N] [--config k=v]|delete <names> [--bootstrap host:port]');
    }
  } finally {
    await admin.disconnect();
  }
}
