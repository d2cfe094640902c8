/**
 * The fuzzer's control: a well-behaved kafkajs producer and group consumer on
 * their own connections and their own topic and group, which no fuzz frame
 * names. Round after round it produces one message (acks=all) and waits for
 * the consumer to see it; a round that takes longer than the deadline, or
 * fails, is recorded with the time it happened. Bad bytes from other clients
 * must not touch it (DESIGN.md: "never ... touch another client").
 */
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';

export interface SteadyStats {
  rounds: number;
  maxRoundMs: number;
  /** Rounds that missed the deadline or failed, with when (ms into the run). */
  failures: string[];
}

export class SteadyClient {
  readonly stats: SteadyStats = { rounds: 0, maxRoundMs: 0, failures: [] };
  private seen = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly started = Date.now();

  private constructor(private readonly producer: Producer, private readonly consumer: Consumer, private readonly topic: string, private readonly deadlineMs: number) {}

  /** Connects, creates the topic, joins the group and waits for the first round trip (so the fuzz meets a steady state). */
  static async start(bootstrap: string, topic: string, groupId: string, deadlineMs: number): Promise<SteadyClient> {
    const kafka = new Kafka({ clientId: 'fuzz-steady', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      await admin.disconnect();
      await producer.connect();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const c = new SteadyClient(producer, consumer, topic, deadlineMs);
      await consumer.run({ eachMessage: async ({ message }) => { c.seen = Math.max(c.seen, Number(message.value?.toString())); } });
      await c.round(1, 60_000);
      return c;
    } catch (err) {
      // Leave nothing open that would keep the test process alive.
      await Promise.allSettled([admin.disconnect(), producer.disconnect(), consumer.disconnect()]);
      throw err;
    }
  }

  /** Runs rounds until stop(). */
  run(): void {
    this.loop = (async () => {
      for (let i = 2; !this.stopped; i++) {
        try {
          const ms = await this.round(i, this.deadlineMs);
          if (ms > this.deadlineMs) this.stats.failures.push(`round ${i} took ${ms} ms at ${Date.now() - this.started} ms`);
        } catch (err) {
          this.stats.failures.push(`round ${i} failed at ${Date.now() - this.started} ms: ${(err as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }

  private stopping: Promise<void> | undefined;

  stop(): Promise<void> {
    return this.stopping ??= (async () => {
      this.stopped = true;
      await this.loop;
      await this.consumer.disconnect();
      await this.producer.disconnect();
    })();
  }

  /** Produces message `i` and waits until the consumer has it; the round's duration (ms). */
  private async round(i: number, limitMs: number): Promise<number> {
    const t0 = Date.now();
    const giveUp = t0 + limitMs;
    await Promise.race([
      this.producer.send({ topic: this.topic, acks: -1, messages: [{ value: String(i) }] }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`produce not acknowledged within ${limitMs} ms`)), limitMs).unref()),
    ]);
    while (this.seen < i) {
      if (Date.now() > giveUp) throw new Error(`message ${i} not consumed within ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    const ms = Date.now() - t0;
    this.stats.rounds++;
    this.stats.maxRoundMs = Math.max(this.stats.maxRoundMs, ms);
    return ms;
  }
}
