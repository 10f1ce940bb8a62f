package dev.runner.cache;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.runner.cache.ContentCache.Kind;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.ObjLongConsumer;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * This node's bytes: one file per sha256 under {@code DIR/<kind>/}, the least recently used (put or
 * opened) going first when they take more than the budget, never one that is pinned. No link is ever
 * followed: a file is read, stat'ed, touched and written with {@code NOFOLLOW_LINKS} (or
 * {@code CREATE_NEW}, which refuses an existing link), and a scan deletes links rather than reading
 * through them. Thread-safe; methods that touch the disk block (call them off the event loop), those
 * that do not say so.
 */
final class DiskStore {
  private static final Logger LOG = Logger.getLogger(DiskStore.class.getName());
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final FileAttribute<Set<PosixFilePermission>> DIR_PERMS =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
  private static final FileAttribute<Set<PosixFilePermission>> FILE_PERMS =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  /** A file that left the disk, and the keys this node held it for (whose index entries must lose this node). */
  record Removed(Kind kind, String sha256, Set<String> keys) {}

  private static final class Local {
    final Kind kind;
    final String sha256;
    final long size;
    long storedAt; // ms; what the TTL counts from (the file's mtime, so a restart keeps it)
    int pins;
    boolean verified; // written by this process, or read back and hashed since the scan found it
    final Set<String> keys = new HashSet<>();

    Local(Kind kind, String sha256, long size, long storedAt, boolean verified) {
      this.kind = kind;
      this.sha256 = sha256;
      this.size = size;
      this.storedAt = storedAt;
      this.verified = verified;
    }
  }

  private final Path dir;
  private final long maxBytes;
  private final long ttlMs;
  private final ObjLongConsumer<Kind> sizeListener;
  private final LinkedHashMap<String, Local> files = new LinkedHashMap<>(); // least recently used first (use() moves one to the end)
  private final long[] bytes = new long[Kind.values().length];

  /** {@code sizeListener}: told a kind's total bytes whenever it changes (under this store's lock). */
  DiskStore(CacheSettings settings, ObjLongConsumer<Kind> sizeListener) {
    this.dir = settings.dir();
    this.maxBytes = settings.maxBytes();
    this.ttlMs = settings.ttl().toMillis();
    this.sizeListener = sizeListener;
  }

  static boolean isSha256(String s) {
    return s != null && SHA256.matcher(s).matches();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  Path file(Kind kind, String sha256) {
    return dir.resolve(kind.tag()).resolve(sha256);
  }

  /** A fresh name in the kind's own dir (so the move into place is a rename); not a sha256, so a scan deletes leftovers. */
  Path tempFile(Kind kind) {
    return dir.resolve(kind.tag()).resolve(".tmp-" + UUID.randomUUID());
  }

  /**
   * Makes the dirs (0700) and learns the files in them, oldest first, their bytes hashed on first use
   * rather than here (a full cache would take minutes); deletes whatever is neither such a file nor a
   * dir (links themselves, never their targets; leftover temp files), nothing recursively. Returns
   * what the TTL and the budget then removed.
   */
  synchronized List<Removed> scan() throws IOException {
    Files.createDirectories(dir.toAbsolutePath().getParent());
    ensureDir(dir);
    for (Kind kind : Kind.values()) {
      Path kindDir = dir.resolve(kind.tag());
      ensureDir(kindDir);
      List<Local> found = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(kindDir)) {
        for (Path p : entries) {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
          String name = p.getFileName().toString();
          if (a.isRegularFile() && isSha256(name)) {
            found.add(new Local(kind, name, a.size(), a.lastModifiedTime().toMillis(), false));
          } else if (a.isDirectory()) {
            LOG.warning("cache: left alone a directory that does not belong in " + kindDir + ": " + name);
          } else {
            Files.delete(p); // unlinks a link itself
          }
        }
      }
      found.sort(Comparator.comparingLong(l -> l.storedAt));
      for (Local l : found) add(l);
    }
    List<Removed> removed = expire(System.currentTimeMillis());
    removed.addAll(evict());
    return removed;
  }

  private static void ensureDir(Path d) throws IOException {
    if (!Files.exists(d, NOFOLLOW_LINKS)) {
      try {
        Files.createDirectory(d, DIR_PERMS);
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another store made it first; checked below
      }
    }
    if (!Files.readAttributes(d, BasicFileAttributes.class, NOFOLLOW_LINKS).isDirectory()) {
      throw new IOException(d + " is not a directory (a link is not taken for one)");
    }
    Files.getFileAttributeView(d, java.nio.file.attribute.PosixFileAttributeView.class, NOFOLLOW_LINKS)
        .setPermissions(PosixFilePermissions.fromString("rwx------"));
  }

  /**
   * Stores {@code data} for {@code key} and pins it: written to a temp file, moved into place (or,
   * when this node has those bytes already, their TTL and LRU place refreshed). Returns its sha256.
   */
  String write(Kind kind, String key, Buffer data) throws IOException {
    byte[] content = data.getBytes();
    MessageDigest md = sha256();
    md.update(content);
    String sha = hex(md);
    synchronized (this) {
      Local l = files.get(id(kind, sha));
      if (l != null) {
        refresh(kind, sha);
        l.pins++;
        l.keys.add(key);
        use(l);
        return sha;
      }
    }
    Path temp = tempFile(kind);
    try {
      try (SeekableByteChannel ch = Files.newByteChannel(temp, Set.of(CREATE_NEW, WRITE, NOFOLLOW_LINKS), FILE_PERMS)) {
        ByteBuffer b = ByteBuffer.wrap(content);
        while (b.hasRemaining()) ch.write(b);
      }
      commit(kind, sha, temp, content.length, key);
      return sha;
    } finally {
      Files.deleteIfExists(temp); // only if the move did not happen
    }
  }

  /**
   * Moves a temp file whose bytes were verified to be {@code sha256} into place and pins it, noting
   * that this node holds it for {@code key}.
   */
  synchronized Path commit(Kind kind, String sha256, Path temp, long size, String key) throws IOException {
    Path target = file(kind, sha256);
    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE); // a rename: replaces a link there, never writes through it
    Local l = files.get(id(kind, sha256));
    if (l == null) {
      l = new Local(kind, sha256, size, System.currentTimeMillis(), true);
      add(l);
    } else {
      l.storedAt = System.currentTimeMillis();
      l.verified = true;
      use(l);
    }
    l.pins++;
    l.keys.add(key);
    return target;
  }

  /** Pins the file of these bytes (a use) and notes {@code key}: its path, or null when this node has none. No disk I/O. */
  synchronized Path pin(Kind kind, String sha256, String key) {
    Local l = files.get(id(kind, sha256));
    if (l == null) return null;
    l.pins++;
    l.keys.add(key);
    use(l);
    return file(kind, sha256);
  }

  /** Pins for a peer's fetch: no use of this node's, so its LRU place stays. No disk I/O. */
  synchronized Path pinForPeer(Kind kind, String sha256) {
    Local l = files.get(id(kind, sha256));
    if (l == null) return null;
    l.pins++;
    return file(kind, sha256);
  }

  /** No disk I/O. */
  synchronized void unpin(Kind kind, String sha256) {
    Local l = files.get(id(kind, sha256));
    if (l != null && l.pins > 0) l.pins--;
  }

  /** Whether a pinned file's bytes are still to be checked against its name (found by the scan, not yet hashed). No disk I/O. */
  synchronized boolean unverified(Kind kind, String sha256) {
    Local l = files.get(id(kind, sha256));
    return l != null && !l.verified;
  }

  /**
   * Hashes the file: null if its bytes are those its name says (it is then verified), else it is
   * deleted (pinned or not: its bytes are wrong) and returned.
   */
  Removed verify(Kind kind, String sha256) throws IOException {
    MessageDigest md = sha256();
    try (FileChannel ch = FileChannel.open(file(kind, sha256), READ, NOFOLLOW_LINKS)) {
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      while (ch.read(b) >= 0) {
        b.flip();
        md.update(b);
        b.clear();
      }
    } catch (IOException e) {
      LOG.warning("cache: cannot read " + file(kind, sha256) + ": " + e);
    }
    boolean good = hex(md).equals(sha256);
    synchronized (this) {
      Local l = files.get(id(kind, sha256));
      if (l == null) return new Removed(kind, sha256, Set.of()); // gone meanwhile
      if (good) {
        l.verified = true;
        return null;
      }
      LOG.warning("cache: " + file(kind, sha256) + " does not hold the bytes its name says: deleted");
      return delete(l);
    }
  }

  /** Restarts the TTL of a file this node has (its bytes were stored again elsewhere); false if it has none. */
  synchronized boolean refresh(Kind kind, String sha256) throws IOException {
    Local l = files.get(id(kind, sha256));
    if (l == null) return false;
    long now = System.currentTimeMillis();
    Files.getFileAttributeView(file(kind, sha256), BasicFileAttributeView.class, NOFOLLOW_LINKS)
        .setTimes(FileTime.fromMillis(now), null, null);
    l.storedAt = now;
    return true;
  }

  /** Deletes the least recently used unpinned files while the files take more than the budget. */
  synchronized List<Removed> evict() throws IOException {
    long total = total();
    List<Local> victims = new ArrayList<>();
    for (Iterator<Local> it = files.values().iterator(); it.hasNext() && total > maxBytes; ) {
      Local l = it.next();
      if (l.pins > 0) continue;
      total -= l.size;
      victims.add(l);
    }
    List<Removed> removed = new ArrayList<>();
    for (Local l : victims) removed.add(delete(l));
    return removed;
  }

  /** Whether the files take more than the budget (so {@link #evict()} has work). No disk I/O. */
  synchronized boolean overBudget() {
    return total() > maxBytes;
  }

  private long total() {
    long total = 0;
    for (long b : bytes) total += b;
    return total;
  }

  /** Deletes the unpinned files stored more than the TTL before {@code nowMs}. */
  synchronized List<Removed> expire(long nowMs) throws IOException {
    List<Removed> removed = new ArrayList<>();
    for (Local l : new ArrayList<>(files.values())) {
      if (l.pins == 0 && nowMs - l.storedAt >= ttlMs) removed.add(delete(l));
    }
    return removed;
  }

  /** The bytes of a kind's files. No disk I/O. */
  synchronized long bytes(Kind kind) {
    return bytes[kind.ordinal()];
  }

  private Removed delete(Local l) throws IOException {
    Files.deleteIfExists(file(l.kind, l.sha256));
    files.remove(id(l.kind, l.sha256));
    resize(l.kind, -l.size);
    return new Removed(l.kind, l.sha256, Set.copyOf(l.keys));
  }

  private void use(Local l) {
    String id = id(l.kind, l.sha256);
    files.remove(id);
    files.put(id, l);
  }

  private void add(Local l) {
    files.put(id(l.kind, l.sha256), l);
    resize(l.kind, l.size);
  }

  private void resize(Kind kind, long delta) {
    bytes[kind.ordinal()] += delta;
    sizeListener.accept(kind, bytes[kind.ordinal()]);
  }

  private static String id(Kind kind, String sha256) {
    return kind.tag() + "/" + sha256;
  }
}
