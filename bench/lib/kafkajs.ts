import { Kafka, logLevel, type Admin } from 'kafkajs';

export function client(broker: string): Kafka {
  return new Kafka({ clientId: 'samsa-bench', brokers: [broker], logLevel: logLevel.NOTHING });
}

export async function createTopic(admin: Admin, topic: string, partitions = 1, replicationFactor = 1, configs: Record<string, string> = {}): Promise<void> {
  const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configEntries }], waitForLeaders: true });
}

/** Sum of high watermarks: how many messages the broker acknowledges holding. */
export async function highWatermark(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** kafkajs producer: batches of `batch` messages, `inFlight` sends at a time, acks=all. */
export async function kafkajsProduce(kafka: Kafka, topic: string, count: number, size: number, batch = 1000, inFlight = 4): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = Buffer.alloc(size, 'x');
  const messages = Array.from({ length: batch }, () => ({ value }));
  let sent = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (sent < count) {
      const n = Math.min(batch, count - sent);
      sent += n;
      await producer.send({ topic, acks: -1, messages: n === batch ? messages : messages.slice(0, n) });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return seconds;
}

/** kafkajs consumer group from the beginning until `count` messages arrived. */
export async function kafkajsConsume(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxBytes: 16 << 20, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= count) resolve();
      },
    }).catch(reject);
  });
  const seconds = (performance.now() - t0) / 1000;
  await consumer.disconnect();
  return seconds;
}
