package dev.runner.jobs;

import dev.runner.cache.CacheMissException;
import dev.runner.cache.ContentCache;
import dev.runner.lang.Language;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compiled programs in the cluster's cache, by token: the content address of what makes a program
 * (the language, its image's own digest, its compile command, and the files). The contest API's
 * compiles store them and its runs take them; an interview job of a compiled language looks its code
 * up first and compiles only when no node has it. Callable from any thread.
 */
public final class Programs {
  /** What a token's entry says of its program (the cache's {@code meta}). */
  static final String LANGUAGE = "language", ARTIFACT = "artifact", MAIN_CLASS = "main_class",
      COMPILE_TIME_MS = "compile_time_ms", COMPILE_OUTPUT = "compile_output";

  private final Vertx vertx;
  private final ContentCache cache;
  private final Map<String, String> imageDigests;

  /** {@code imageDigests}: each language's image's id (its content, as Podman reports it), by language id. */
  public Programs(Vertx vertx, ContentCache cache, Map<String, String> imageDigests) {
    this.vertx = vertx;
    this.cache = cache;
    this.imageDigests = Map.copyOf(imageDigests);
  }

  /**
   * The token of {@code files} ({@code main}: the one the compiler is given), or null when the
   * language's image could not be read. A single file is named as the language names its source, so
   * the interview API's code and a contest submission of the same text share a token.
   */
  public String token(Language lang, Map<String, String> files, String main) {
    String digest = imageDigests.get(lang.name());
    if (digest == null) return null;
    if (files.size() == 1) {
      String code = files.get(main);
      main = lang.sourceFile(code);
      files = Map.of(main, code);
    }
    List<String> parts = new ArrayList<>(List.of("runner-token-1", lang.name(), digest, main));
    if (lang.compiled()) parts.addAll(lang.compile().argv());
    new TreeMap<>(files).forEach((name, text) -> {
      parts.add(name);
      parts.add(text);
    });
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (String p : parts) { // each part length-prefixed: no two lists of parts hash alike
        byte[] b = p.getBytes(StandardCharsets.UTF_8);
        d.update((b.length + ":").getBytes(StandardCharsets.US_ASCII));
        d.update(b);
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  /** The entry of a token, or null when no live node holds its program. */
  public Future<ContentCache.Entry> lookup(String token) {
    return cache.lookup(ContentCache.Kind.TOKEN, token);
  }

  /** The language id of a stored program. */
  public static String language(ContentCache.Entry e) {
    return e.meta().getString(LANGUAGE);
  }

  /** How long the compile of a stored program took (a cache hit answers with the original's time). */
  public static long compileTimeMs(ContentCache.Entry e) {
    return e.meta().getLong(COMPILE_TIME_MS, 0L);
  }

  /** Stores a compiled program (or a syntax-checked source) under its token, on this node and a second. */
  Future<ContentCache.Entry> store(Language lang, String token, Buffer program, String code, CompileOutcome outcome) {
    JsonObject meta = new JsonObject().put(LANGUAGE, lang.name())
        .put(ARTIFACT, lang.compiled() ? lang.compile().artifact() : lang.file())
        .put(MAIN_CLASS, lang.mainClass(code)).put(COMPILE_TIME_MS, outcome.timeMs()).put(COMPILE_OUTPUT, outcome.output());
    return cache.put(ContentCache.Kind.TOKEN, token, program, meta);
  }

  /** A stored program: its entry and its bytes. */
  record Program(ContentCache.Entry entry, Buffer bytes) {
    String artifact() {
      return entry.meta().getString(ARTIFACT);
    }

    String mainClass() {
      return entry.meta().getString(MAIN_CLASS, "");
    }

    /** The outcome of the compile that made it, as if it had just run. */
    CompileOutcome outcome() {
      return CompileOutcome.ok(compileTimeMs(entry), entry.meta().getString(COMPILE_OUTPUT, ""), false, ContentCache.sha256(bytes));
    }
  }

  /** The program of a token, fetched to this node if need be; a miss fails with CacheMissException. */
  Future<Program> program(String token) {
    return cache.open(ContentCache.Kind.TOKEN, token).compose(pin -> ContestRunner.read(vertx, pin.path(), 0, pin.entry().bytes())
        .map(bytes -> new Program(pin.entry(), Buffer.buffer(bytes)))
        .eventually(() -> {
          pin.release(); // the bytes are read: eviction may take the file
          return Future.succeededFuture();
        }));
  }

  /** The program of a token, or null when no live node has it. */
  Future<Program> find(String token) {
    if (token == null) return Future.succeededFuture(null);
    return program(token).recover(err -> err instanceof CacheMissException ? Future.succeededFuture(null) : Future.failedFuture(err));
  }
}
