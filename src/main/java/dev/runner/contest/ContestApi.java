package dev.runner.contest;

import dev.runner.cache.ContentCache;
import dev.runner.cluster.Dispatcher;
import dev.runner.config.RunnerConfig;
import dev.runner.jobs.ContestJobs;
import dev.runner.jobs.ContestRunner;
import dev.runner.jobs.Limits;
import dev.runner.jobs.Programs;
import dev.runner.jobs.WorkerVerticle;
import dev.runner.lang.Language;
import dev.runner.lang.Languages;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The contest API on a node: checks a request, answers from the cluster's cache what it can (an
 * identical compile, an input set's description) and sends the rest to a worker of the language on
 * the event bus, whichever node it is on. The token is the program's content address ({@link Programs#token}).
 */
public final class ContestApi implements ContestService {
  /** Most files of one submission. */
  static final int MAX_FILES = 64;
  /** Most bytes of one input set (its cases' inputs together). */
  public static final long MAX_INPUT_SET_BYTES = 128L << 20;
  static final long DEFAULT_TIME_MS = 1_000, MAX_TIME_MS = 60_000;
  static final long DEFAULT_MEMORY_KB = 256 << 10, MIN_MEMORY_KB = 16 << 10, MAX_MEMORY_KB = 1 << 20;
  static final long DEFAULT_OUTPUT_KB = 64 << 10, MAX_OUTPUT_KB = 256 << 10;
  static final long DEFAULT_FILE_KB = 64 << 10, MAX_FILE_KB = 256 << 10;
  static final int DEFAULT_OPEN_FILES = 20, MAX_OPEN_FILES = 50;
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.+-]{0,99}");
  private static final Pattern HASH = Pattern.compile("[A-Za-z0-9_=+-]{1,128}");
  private static final Pattern TOKEN = Pattern.compile("[0-9a-f]{64}");
  private static final Set<String> RUN_FIELDS = Set.of("token", "input_hash", "time_limit_ms", "memory_limit_kb",
      "output_limit_kb", "file_size_limit_kb", "open_files", "processes", "include_output");

  private final Vertx vertx;
  private final RunnerConfig config;
  private final ContentCache cache;
  private final Programs programs;
  /** By id and by alias. */
  private final Map<String, Language> languages;
  private final Dispatcher dispatcher;

  /** {@code cache}: the cluster's, which holds the input sets; {@code programs}: the compiled programs in it. */
  public ContestApi(Vertx vertx, RunnerConfig config, ContentCache cache, Programs programs, Dispatcher dispatcher) {
    this.vertx = vertx;
    this.dispatcher = dispatcher;
    this.config = config;
    this.cache = cache;
    this.programs = programs;
    this.languages = Languages.byNameAndAlias(config.allLanguages().values());
  }

  /** A request the API refuses, with its status and a message naming the problem. */
  private static final class Invalid extends RuntimeException {
    final int status;

    Invalid(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    Invalid(String message) {
      this(400, message);
    }
  }

  @Override
  public Future<Reply> compile(JsonObject request) {
    return compile(request, Tracking.NONE);
  }

  private Future<Reply> compile(JsonObject request, Tracking tracking) {
    return answer(() -> {
      Language lang = language(request);
      Map<String, String> files = files(request, lang);
      String main = mainFile(files, lang);
      String token = programs.token(lang, files, main);
      if (token == null) throw new Invalid(503, "this node does not know the image of " + lang.name() + " (Podman could not be read)");
      return programs.lookup(token).compose(hit -> {
        if (hit != null) {
          return Future.succeededFuture(new Reply(200, new JsonObject().put("token", token)
              .put("compile_time_ms", Programs.compileTimeMs(hit)).put("cached", true)));
        }
        ContestJobs.Compile job = new ContestJobs.Compile(tracking.idOr(UUID.randomUUID().toString()), lang.name(), token, main, files);
        long timeout = WorkerVerticle.replyTimeoutMs(config, job.deadlineMs(lang));
        return send(Dispatcher.Kind.COMPILE, job.toJson(), timeout, lang.name(), Tracking.NONE).map(body -> {
          ContestJobs.Compiled c = body.mapTo(ContestJobs.Compiled.class);
          return c.ok() ? new Reply(200, new JsonObject().put("token", token).put("compile_time_ms", c.compileTimeMs()).put("cached", false))
              : new Reply(422, new JsonObject().put("error", c.error()).put("compile_time_ms", c.compileTimeMs()).put("status", 422));
        });
      });
    });
  }

  @Override
  public Future<Reply> storeInput(JsonObject request) {
    return answer(() -> {
      unknownFields(request, Set.of("hash", "cases"));
      String hash = hash(request.getValue("hash"), "hash");
      Object v = request.getValue("cases");
      if (!(v instanceof JsonArray cases)) throw new Invalid("cases must be an array of {\"name\", \"input\"}, got " + kind(v));
      if (cases.isEmpty() || cases.size() > Limits.MAX_TESTS) throw new Invalid("cases must hold 1 to " + Limits.MAX_TESTS + " cases, got " + cases.size());
      Buffer bytes = Buffer.buffer();
      JsonArray names = new JsonArray(), sizes = new JsonArray();
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < cases.size(); i++) {
        String at = "cases[" + i + "]";
        if (!(cases.getValue(i) instanceof JsonObject c)) throw new Invalid(at + " must be an object {\"name\", \"input\"}, got " + kind(cases.getValue(i)));
        unknownFields(c, Set.of("name", "input"), at + ".");
        if (!(c.getValue("name") instanceof String name) || name.isEmpty() || name.length() > 128 || name.chars().anyMatch(ch -> ch < 0x20)) {
          throw new Invalid(at + ".name must be a string of 1 to 128 printable characters, got " + kind(c.getValue("name")));
        }
        if (!seen.add(name)) throw new Invalid(at + ".name '" + name + "' is used twice");
        if (!(c.getValue("input") instanceof String input)) throw new Invalid(at + ".input must be a string, got " + kind(c.getValue("input")));
        byte[] b = input.getBytes(StandardCharsets.UTF_8);
        if (b.length > Limits.MAX_TEST_TEXT_BYTES) {
          throw new Invalid(413, at + ".input is larger than " + (Limits.MAX_TEST_TEXT_BYTES >> 20) + " MB, the most one case may have");
        }
        if (bytes.length() + (long) b.length > MAX_INPUT_SET_BYTES) {
          throw new Invalid(413, "the cases' inputs together are larger than " + (MAX_INPUT_SET_BYTES >> 20) + " MB");
        }
        bytes.appendBytes(b);
        names.add(name);
        sizes.add(b.length);
      }
      String sha256 = ContentCache.sha256(bytes);
      JsonObject description = new JsonObject().put("hash", hash).put("cases", names.size()).put("bytes", bytes.length());
      return cache.lookup(ContentCache.Kind.INPUT, hash).compose(stored -> {
        if (stored != null) {
          boolean same = stored.sha256().equals(sha256) && names.equals(stored.meta().getJsonArray(ContestRunner.CASES));
          return Future.succeededFuture(same ? new Reply(200, description.put("stored", false))
              : new Reply(409, new JsonObject().put("error", "the input hash '" + hash + "' is stored with other cases; "
                  + "an input hash names one set of cases").put("status", 409)));
        }
        JsonObject meta = new JsonObject().put(ContestRunner.CASES, names).put(ContestRunner.SIZES, sizes);
        return cache.put(ContentCache.Kind.INPUT, hash, bytes, meta).map(e -> new Reply(201, description.put("stored", true)));
      });
    });
  }

  @Override
  public Future<Reply> describeInput(String hash) {
    return answer(() -> {
      String h = hash(hash, "the input hash");
      return cache.lookup(ContentCache.Kind.INPUT, h).map(e -> e == null ? missing("input", "no input set is stored as '" + h + "'")
          : new Reply(200, new JsonObject().put("hash", h).put("cases", e.meta().getJsonArray(ContestRunner.CASES)).put("bytes", e.bytes())));
    });
  }

  /** A run's fields, checked (the token and the input set not looked up yet). */
  private record RunFields(String token, String inputHash, long timeMs, long memoryKb, long outputKb, long fileKb,
                           int openFiles, boolean includeOutput) {}

  /** {@code token}: the request's, or, for a compile and run, none yet (the compile makes it). */
  private static RunFields runFields(JsonObject request, boolean withToken) {
    unknownFields(request, RUN_FIELDS);
    String token = null;
    if (withToken) {
      Object t = request.getValue("token");
      if (!(t instanceof String tk) || !TOKEN.matcher(tk).matches()) {
        throw new Invalid("token must be a token from POST /compile/ (64 hex digits), got " + kind(t));
      }
      token = tk;
    }
    String inputHash = hash(request.getValue("input_hash"), "input_hash");
    long timeMs = integer(request, "time_limit_ms", DEFAULT_TIME_MS, 1, MAX_TIME_MS);
    long memoryKb = integer(request, "memory_limit_kb", DEFAULT_MEMORY_KB, MIN_MEMORY_KB, MAX_MEMORY_KB);
    long outputKb = integer(request, "output_limit_kb", DEFAULT_OUTPUT_KB, 1, MAX_OUTPUT_KB);
    long fileKb = integer(request, "file_size_limit_kb", DEFAULT_FILE_KB, 0, MAX_FILE_KB);
    int openFiles = (int) integer(request, "open_files", DEFAULT_OPEN_FILES, 1, MAX_OPEN_FILES);
    integer(request, "processes", 1, 1, 1); // the seed's "1 (no fork)": threads only, enforced by the supervisor's seccomp filter
    Object io = request.getValue("include_output");
    if (io != null && !(io instanceof Boolean)) throw new Invalid("include_output must be a boolean, got " + kind(io));
    return new RunFields(token, inputHash, timeMs, memoryKb, outputKb, fileKb, openFiles, Boolean.TRUE.equals(io));
  }

  /** The compile part of a compile and run ({"lang", "code"}), and its run part (the rest). */
  private static JsonObject[] parts(JsonObject request) {
    JsonObject compile = new JsonObject(), run = request.copy();
    for (String key : List.of("lang", "code")) {
      if (request.containsKey(key)) compile.put(key, run.remove(key));
    }
    return new JsonObject[] {compile, run};
  }

  @Override
  public Reply invalidJob(JsonObject request) {
    try {
      if (request.containsKey("code")) {
        JsonObject[] parts = parts(request);
        files(parts[0], language(parts[0]));
        if (parts[1].containsKey("token")) throw new Invalid("a job with code compiles it: token is not allowed beside code");
        runFields(parts[1], false);
      } else {
        runFields(request, true);
      }
      return null;
    } catch (Invalid e) {
      return error(e.status, e.getMessage());
    }
  }

  @Override
  public Future<Reply> job(JsonObject request, Tracking tracking) {
    if (!request.containsKey("code")) return run(request, tracking);
    JsonObject[] parts = parts(request);
    return compile(parts[0], tracking).compose(compiled -> {
      if (compiled.status() != 200) return Future.succeededFuture(compiled);
      tracking.compiled().accept(compiled.body());
      if (tracking.cancelled().getAsBoolean()) return Future.succeededFuture(error(WorkerVerticle.CANCELLED, "cancelled"));
      return run(parts[1].put("token", compiled.body().getString("token")), tracking);
    });
  }

  @Override
  public Future<Reply> run(JsonObject request) {
    return run(request, Tracking.NONE);
  }

  private Future<Reply> run(JsonObject request, Tracking tracking) {
    return answer(() -> {
      RunFields f = runFields(request, true);
      String token = f.token(), inputHash = f.inputHash();
      long timeMs = f.timeMs(), memoryKb = f.memoryKb();
      return programs.lookup(token).compose(program -> {
        if (program == null) return Future.succeededFuture(missing("token", "no program is stored as token " + token + "; compile it again"));
        return cache.lookup(ContentCache.Kind.INPUT, inputHash).compose(inputs -> {
          if (inputs == null) return Future.succeededFuture(missing("input", "no input set is stored as '" + inputHash + "'; upload it again"));
          String language = Programs.language(program);
          Language lang = config.allLanguages().get(language);
          if (lang != null && memoryKb < lang.minMemoryMb() * 1024L) {
            throw new Invalid("memory_limit_kb must be at least " + lang.minMemoryMb() * 1024L + " for " + language + ", got " + memoryKb);
          }
          int cases = inputs.meta().getJsonArray(ContestRunner.CASES).size();
          if (cases * timeMs > config.http().maxJobSeconds() * 1000L) {
            throw new Invalid("the run could take " + cases * timeMs / 1000 + " s (" + cases + " cases × " + timeMs + " ms); at most "
                + config.http().maxJobSeconds() + " s is allowed");
          }
          ContestJobs.Run job = new ContestJobs.Run(tracking.idOr(UUID.randomUUID().toString()), language, token, inputHash,
              timeMs, memoryKb, f.outputKb(), f.fileKb(), f.openFiles(), f.includeOutput(), cases);
          long timeout = ContestJobs.FETCH_MS + WorkerVerticle.replyTimeoutMs(config, job.deadlineMs());
          JsonArray names = inputs.meta().getJsonArray(ContestRunner.CASES);
          return send(Dispatcher.Kind.CONTEST, job.toJson(), timeout, language, tracking).map(body -> new Reply(200, body))
              .recover(err -> judgeError(err) ? Future.succeededFuture(judgeErrors(names, err.getMessage())) : Future.failedFuture(err));
        });
      });
    });
  }

  /** The answer of a check and its work: a refusal becomes its 4xx, a worker's failure a 404 or 503. */
  private static Future<Reply> answer(Supplier<Future<Reply>> work) {
    Future<Reply> f;
    try {
      f = work.get();
    } catch (Invalid e) {
      return Future.succeededFuture(error(e.status, e.getMessage()));
    }
    return f.recover(err -> {
      if (err instanceof Invalid e) return Future.succeededFuture(error(e.status, e.getMessage()));
      if (Dispatcher.failedWith(err, WorkerVerticle.MISSING)) {
        return Future.succeededFuture(missing(err.getMessage(), "the " + err.getMessage() + " is on no live node any more; upload it again"));
      }
      String why = err instanceof ReplyException re ? switch (re.failureType()) {
        case NO_HANDLERS -> re.getMessage();
        case TIMEOUT -> "the job did not finish in time";
        default -> re.getMessage();
      } : String.valueOf(err.getMessage());
      return Future.succeededFuture(error(503, "the job could not be run: " + why));
    });
  }

  /** To the node with a free sandbox for the language; a language no node serves is a 400. */
  private Future<JsonObject> send(Dispatcher.Kind kind, JsonObject job, long timeoutMs, String language, Tracking tracking) {
    DeliveryOptions options = new DeliveryOptions();
    if (tracking.progressAddress() != null) options.addHeader(WorkerVerticle.PROGRESS, tracking.progressAddress());
    return dispatcher.send(kind, language, List.of(), job, timeoutMs, options)
        .recover(err -> err instanceof Dispatcher.Unserved ? Future.failedFuture(new Invalid(400, err.getMessage()))
            : Future.failedFuture(err));
  }

  /** The worker's sandbox failed under the run twice: the runner's fault, every case JE (the grader may rejudge). */
  private static boolean judgeError(Throwable err) {
    return Dispatcher.failedWith(err, WorkerVerticle.JUDGE_ERROR);
  }

  static Reply judgeErrors(JsonArray names, String why) {
    List<ContestJobs.CaseResult> results = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) results.add(ContestJobs.CaseResult.judgeError(names.getString(i), "the runner failed: " + why));
    return new Reply(200, JsonObject.mapFrom(new ContestJobs.Results(results)));
  }

  private static Reply missing(String what, String message) {
    return new Reply(404, new JsonObject().put("error", message).put("missing", what).put("status", 404));
  }

  private static Reply error(int status, String message) {
    return new Reply(status, new JsonObject().put("error", message).put("status", status));
  }

  private Language language(JsonObject request) {
    unknownFields(request, Set.of("lang", "code"));
    Object v = request.getValue("lang");
    if (!(v instanceof String name) || name.isBlank()) throw new Invalid("lang must name a language, such as \"cpp17\", got " + kind(v));
    Language lang = languages.get(name);
    if (lang == null) {
      throw new Invalid("unknown lang '" + name + "'; supported: " + String.join(", ", new TreeMap<>(config.allLanguages()).keySet()));
    }
    return lang;
  }

  /** The submission's files: plain names to sources, within the code size limit. */
  private static Map<String, String> files(JsonObject request, Language lang) {
    Object v = request.getValue("code");
    if (!(v instanceof JsonObject code)) throw new Invalid("code must be an object of file names to sources, such as {\"main.cpp\": \"...\"}, got " + kind(v));
    if (code.isEmpty()) throw new Invalid("code holds no file");
    if (code.size() > MAX_FILES) throw new Invalid("code holds " + code.size() + " files; at most " + MAX_FILES);
    if (!lang.compiled() && code.size() > 1) throw new Invalid("code: a " + lang.name() + " submission is one file, got " + code.size());
    Map<String, String> files = new LinkedHashMap<>();
    long total = 0;
    for (String name : code.fieldNames()) {
      if (!FILE_NAME.matcher(name).matches() || name.contains("..")) {
        throw new Invalid("code: '" + name + "' is not a plain file name (letters, digits, _ . + -, at most 100, no path)");
      }
      if (lang.compiled() && name.equals(lang.compile().artifact())) throw new Invalid("code: '" + name + "' is the compiled program's own name");
      if (!(code.getValue(name) instanceof String text)) throw new Invalid("code." + name + " must be a string, got " + kind(code.getValue(name)));
      if (text.indexOf('\0') >= 0) throw new Invalid("code." + name + " contains a NUL character");
      total += text.getBytes(StandardCharsets.UTF_8).length;
      if (total > Limits.MAX_CODE_BYTES) throw new Invalid(413, "code is larger than " + (Limits.MAX_CODE_BYTES >> 20) + " MB");
      files.put(name, text);
    }
    return files;
  }

  /** The file the compiler is given: the only one, or the one named as the language names its source. */
  private static String mainFile(Map<String, String> files, Language lang) {
    if (files.size() == 1) return files.keySet().iterator().next();
    if (files.containsKey(lang.file())) return lang.file();
    throw new Invalid("code: with several files, one must be " + lang.file() + " (the one the compiler is given)");
  }

  private static String hash(Object v, String field) {
    if (!(v instanceof String h) || !HASH.matcher(h).matches()) {
      throw new Invalid(field + " must be 1 to 128 letters, digits or _ = + - (such as an md5 in hex), got " + kind(v));
    }
    return h;
  }

  private static long integer(JsonObject o, String field, long fallback, long min, long max) {
    Object v = o.getValue(field);
    if (v == null) return fallback;
    if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
      throw new Invalid(field + " must be " + (min == max ? String.valueOf(min) : "a whole number from " + min + " to " + max)
          + ", got " + (v instanceof Number || v instanceof Boolean ? Json.encode(v) : kind(v)));
    }
    return ((Number) v).longValue();
  }

  private static void unknownFields(JsonObject o, Set<String> known) {
    unknownFields(o, known, "");
  }

  private static void unknownFields(JsonObject o, Set<String> known, String prefix) {
    for (String f : o.fieldNames()) {
      if (!known.contains(f)) throw new Invalid("unknown field " + prefix + f + " (known: " + String.join(", ", new TreeSet<>(known)) + ")");
    }
  }

  private static String kind(Object v) {
    return v == null ? "nothing" : v instanceof String ? "a string" : v instanceof Number ? "a number" : v instanceof Boolean ? "a boolean"
        : v instanceof JsonArray ? "an array" : "an object";
  }
}
