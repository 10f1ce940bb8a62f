package dev.runner.lang;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How one language's submission is stored, compiled and run inside its image, as its image's
 * {@code containers/IMAGE/languages.json} says (see {@link Languages}). Interpreted languages run
 * through the harness baked into their image (containers/IMAGE/harness/run.*), which also calls
 * functions; compiled ones are compiled in a sandbox first ({@link Compile}) and their artifact run as
 * a program. {@code minMemoryMb} is the smallest memory limit a job may ask for: below it the runtime
 * itself leaves the program no room (measured, see the README).
 */
public record Language(String name, List<String> aliases, String title, String file, String naming, List<String> interpreter,
                       String harnessExtension, Pattern identifier, String outOfMemoryMarker, int minMemoryMb,
                       int runtimeOverheadMb, Compile compile) {

  /**
   * The compile step: its command (run in /work beside the source; {@code {file}} is the source's
   * name), the file it makes, its own limits, which are not the program's (compilers need more memory
   * and time than most programs), and the command that runs the artifact ({@code {main}}: the class
   * to run, {@code {memory_mb}}: the job's memory limit, {@code {heap_mb}}: that less the runtime's
   * own overhead, so a managed heap runs out, and says so, before the cgroup's limit is reached).
   */
  public record Compile(List<String> argv, String artifact, int memoryMb, long timeMs, long outputBytes, List<String> run) {}

  private static final String HARNESS = "/opt/runner/run.";

  /** One entry of a languages.json; a missing or mistyped field fails the node's start, naming it. */
  static Language fromJson(JsonObject j) {
    String id = required(j, "id");
    JsonObject c = j.getJsonObject("compile");
    Compile compile = c == null ? null : new Compile(strings(c, "command"), required(c, "artifact"), c.getInteger("memory_mb"),
        c.getLong("time_ms"), c.getLong("output_bytes"), strings(c, "run"));
    String identifier = j.getString("identifier");
    List<String> aliases = j.containsKey("aliases") ? strings(j, "aliases") : List.of();
    Language lang = new Language(id, aliases, j.getString("name", id), required(j, "file"), j.getString("naming", "fixed"),
        j.containsKey("interpreter") ? strings(j, "interpreter") : List.of(), j.getString("harness"),
        identifier == null ? null : Pattern.compile(identifier), j.getString("out_of_memory"), j.getInteger("min_memory_mb", 16),
        j.getInteger("runtime_overhead_mb", 0), compile);
    if ((compile == null) == (lang.harnessExtension == null)) {
      throw new IllegalArgumentException("language " + id + ": needs either a harness (interpreted) or a compile step");
    }
    return lang;
  }

  private static String required(JsonObject j, String field) {
    String v = j.getString(field);
    if (v == null || v.isBlank()) throw new IllegalArgumentException("language entry without '" + field + "': " + j.encode());
    return v;
  }

  private static List<String> strings(JsonObject j, String field) {
    JsonArray a = j.getJsonArray(field);
    if (a == null || a.isEmpty()) throw new IllegalArgumentException("language entry without '" + field + "': " + j.encode());
    return a.stream().map(String::valueOf).toList();
  }

  /**
   * What GET /languages says of it; {@code version} is its toolchain's version line, as its image's
   * build recorded it (the entry's "version" command, run in the image), or null when unknown.
   */
  public JsonObject describe(String version) {
    JsonObject d = new JsonObject().put("id", name).put("aliases", new JsonArray(aliases)).put("name", title).put("version", version)
        .put("source_file", javaNaming()
            ? "the public class's name + .java, else " + file : file)
        .put("function_tests", functionTests()).put("min_memory_mb", minMemoryMb);
    if (compiled()) {
      d.put("compile", new JsonArray(compile.argv())).put("run", new JsonArray(compile.run()))
          .put("compile_limits", new JsonObject().put("memory_mb", compile.memoryMb()).put("time_ms", compile.timeMs()));
    } else {
      d.put("run", new JsonArray(run("program")));
    }
    return d;
  }

  public boolean compiled() {
    return compile != null;
  }

  /** Whether a submission may be a function (called through the harness) rather than a program. */
  public boolean functionTests() {
    return harnessExtension != null;
  }

  private boolean javaNaming() {
    return naming.equals("java");
  }

  /**
   * The command of one test of an interpreted language: the harness runs the submission as a program
   * or calls one function. A job's first test runs in mode "detect" (or "detect ENTRYPOINT"), which
   * also reports on fd 3 the mode ("program", "function NAME", "exports") or "CE"; the later tests
   * run in that mode.
   */
  public List<String> run(String mode) {
    return Stream.concat(interpreter.stream(), Stream.of(HARNESS + harnessExtension, "/work/" + file, mode)).toList();
  }

  /** The name the source is stored under: fixed, but for Java the name its public class needs. */
  public String sourceFile(String code) {
    return javaNaming() ? JavaSource.fileName(code) : file;
  }

  /** The compiler's command for this source. */
  public List<String> compileCommand(String code) {
    String source = sourceFile(code);
    return compile.argv().stream().map(a -> a.replace("{file}", source)).toList();
  }

  /** The command that runs the compiled program of this source under this memory limit. */
  public List<String> runCompiled(String code, int memoryMb) {
    return runArtifact(mainClass(code), memoryMb);
  }

  /** The class that runs this source's program (Java: the one declaring main), else "". */
  public String mainClass(String code) {
    return javaNaming() ? JavaSource.mainClass(code) : "";
  }

  /** The command that runs a compiled program whose main class is {@code main} under this memory limit. */
  public List<String> runArtifact(String main, int memoryMb) {
    String heap = String.valueOf(Math.max(16, memoryMb - runtimeOverheadMb));
    return compile.run().stream()
        .map(a -> a.replace("{main}", main).replace("{memory_mb}", String.valueOf(memoryMb)).replace("{heap_mb}", heap)).toList();
  }

  /** The mode of a job's first test. */
  public static String detect(String entrypoint) {
    return entrypoint == null ? "detect" : "detect " + entrypoint;
  }

  /** Whether a mode reported by the detection is one this language's harness runs. */
  public boolean runs(String mode) {
    if (mode.equals("program") || mode.equals("exports")) return true;
    return mode.startsWith("function ") && identifier.matcher(mode.substring("function ".length())).matches();
  }
}
