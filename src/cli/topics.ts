/**
 * `samsa topics ...`: the older name of `samsa topic ...` (topic.ts), kept so
 * scripts that used it work; it no longer needs kafkajs.
 */
export { topicCommand as topicsCommand } from './topic.js';
