/**
 * A metric family whose samples are worked out at each scrape from the
 * broker's state, in the shape a prom-client Registry formats (its
 * `registerMetric` takes any object with a name, help, type and `get()`).
 * Nothing is kept between scrapes: a deleted topic or a gone group simply
 * has no sample next time, and no label set is hashed on the way (prom-client's
 * Gauge would hash every label set of every partition on every scrape).
 */
import type { Registry } from 'prom-client';

export type Labels = Record<string, string | number>;

interface Sample { labels: Labels; value: number; metricName?: string }

export type FamilyType = 'counter' | 'gauge' | 'histogram';

export class MetricFamily {
  readonly values: Sample[] = [];

  constructor(readonly name: string, readonly help: string, readonly type: FamilyType) {}

  add(labels: Labels, value: number): void {
    this.values.push({ labels, value });
  }

  /**
   * One histogram series from bucket counts kept elsewhere: `counts[i]` (not
   * cumulative) fell at or under `bounds[i]`, the last count over every bound.
   */
  addHistogram(labels: Labels, bounds: readonly number[], counts: ArrayLike<number>, sum: number): void {
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += counts[i]!;
      this.values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bounds[i]! }, value: cumulative });
    }
    cumulative += counts[bounds.length]!;
    this.values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
    this.values.push({ metricName: `${this.name}_sum`, labels, value: sum });
    this.values.push({ metricName: `${this.name}_count`, labels, value: cumulative });
  }

  get(): Promise<{ name: string; help: string; type: FamilyType; values: Sample[]; aggregator: 'sum' }> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.values, aggregator: 'sum' });
  }
}

/** The families of one scrape, in the order they are written. */
export class Families {
  private readonly all: MetricFamily[] = [];

  private family(name: string, help: string, type: FamilyType): MetricFamily {
    const f = new MetricFamily(name, help, type);
    this.all.push(f);
    return f;
  }

  gauge(name: string, help: string): MetricFamily { return this.family(name, help, 'gauge'); }
  counter(name: string, help: string): MetricFamily { return this.family(name, help, 'counter'); }
  histogram(name: string, help: string): MetricFamily { return this.family(name, help, 'histogram'); }

  registerIn(registry: Registry): void {
    // prom-client types registerMetric for its own metric classes; the registry needs only name and get().
    for (const f of this.all) registry.registerMetric(f as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}
