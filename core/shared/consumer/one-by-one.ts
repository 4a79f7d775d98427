/**
 * Thrown from a batch's transaction when that batch, taken together, cannot be applied as its messages would be
 * one after another (not a failure of any of them): the runner rolls it back and hands each message over alone.
 */
export class OneByOne extends Error {}
