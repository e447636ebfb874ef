/**
 * Load generators and JMH benchmarks. Each load generator is a class with a {@code main} that starts what it measures
 * on loopback ports, drives it for a bounded time, prints its figures and stops by itself: {@code bin/bench NAME}.
 */
package dev.lectern.bench;
