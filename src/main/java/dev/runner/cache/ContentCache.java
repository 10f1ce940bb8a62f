package dev.runner.cache;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Locale;

/**
 * What the cluster keeps by content: compiled programs (by token) and input sets (by the grader's
 * hash). A shared index says what each key is and which nodes hold its bytes; the bytes live on the
 * nodes' disks, and a node that lacks them fetches them from one that has them, verifying their
 * sha256 on arrival. Callable from any thread.
 */
public interface ContentCache {
  /** The sha256 of bytes, in hex: what an entry's bytes are addressed and verified by. */
  static String sha256(Buffer bytes) {
    MessageDigest d = DiskStore.sha256();
    d.update(bytes.getBytes());
    return DiskStore.hex(d);
  }

  /** The two caches; {@link #tag()} is their name in metrics ({@code cache="token"}). */
  enum Kind {
    TOKEN, INPUT;

    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One stored item as the index knows it: its bytes' sha256 and size, and what its owner said of it. */
  record Entry(Kind kind, String key, String sha256, long bytes, JsonObject meta) {}

  /** A local copy of an entry's bytes, kept from eviction until released (release is idempotent). */
  interface Pinned {
    Entry entry();

    Path path();

    void release();
  }

  /**
   * Stores {@code bytes} under {@code key}: on this node's disk, in the index (with {@code meta}),
   * and, when the cluster has another node that keeps a cache, on a second node before the future
   * completes. Storing a key again with the same bytes refreshes it.
   */
  Future<Entry> put(Kind kind, String key, Buffer bytes, JsonObject meta);

  /** The entry of {@code key}, or null when the index has none or no live node holds its bytes. */
  Future<Entry> lookup(Kind kind, String key);

  /**
   * The entry's bytes on this node's disk, fetched (and verified) from a node that holds them when
   * this one does not; fails with {@link CacheMissException} when no live node has them.
   */
  Future<Pinned> open(Kind kind, String key);
}
