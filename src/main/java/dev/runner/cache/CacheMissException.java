package dev.runner.cache;

/** No live node holds the bytes of a key (never stored, evicted, expired, or its holders are gone). */
public final class CacheMissException extends RuntimeException {
  public CacheMissException(String message) {
    super(message, null, false, false);
  }
}
