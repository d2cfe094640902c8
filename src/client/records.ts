/**
 * Reading and writing a topic's records: Fetch from each partition's leader
 * with every batch decoded (any compression, control batches skipped, records
 * of aborted transactions dropped under read_committed), and Produce with one
 * v2 batch per partition per request, keyed records placed as the Java client
 * places them.
 */
export { fetchRecords, type FetchOptions, type FetchResult, type FetchedRecord } from './fetch-records.js';
export { produceRecords, type ProduceOptions, type ProduceRecord, type ProducedRecord } from './produce-records.js';
export { murmur2, toPositive, keyPartition } from './partitioner.js';
