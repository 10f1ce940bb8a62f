package dev.runner.http;

/**
 * The request body bytes a node holds at once, counted as they arrive and given back when the
 * request is refused or its job's worker has replied, so slow or abandoned requests cannot exhaust
 * the node's memory. Used on the HTTP verticle's event loop only.
 */
final class BodyBudget {
  private final long capacity;
  private long held;

  BodyBudget(long capacity) {
    this.capacity = capacity;
  }

  /** Holds {@code bytes} more if the budget has room for them. */
  boolean tryHold(long bytes) {
    if (held + bytes > capacity) return false;
    held += bytes;
    return true;
  }

  void release(long bytes) {
    held -= bytes;
  }

  long held() {
    return held;
  }
}
