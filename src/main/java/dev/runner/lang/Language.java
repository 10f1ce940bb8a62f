package dev.runner.lang;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How one language's submission is stored, compiled and run inside its image. Interpreted languages
 * run through the harness baked into their image (containers/LANG/harness/run.*), which also calls
 * functions; compiled ones are compiled in a sandbox first ({@link Compile}) and their artifact run
 * as a program. {@code minMemoryMb} is the smallest memory limit a job may ask for: below it the
 * runtime itself leaves the program no room (measured, see the README).
 */
public record Language(String name, String file, List<String> interpreter, String harnessExtension,
                       Pattern identifier, String outOfMemoryMarker, int minMemoryMb, Compile compile) {

  /**
   * The compile step: its command (run in /work beside the source; {@code {file}} is the source's
   * name), the file it makes, its own limits, which are not the program's (compilers need more memory
   * and time than most programs), and the command that runs the artifact ({@code {main}}: the class
   * to run, {@code {memory_mb}}: the job's memory limit).
   */
  public record Compile(List<String> argv, String artifact, int memoryMb, long timeMs, long outputBytes, List<String> run) {}

  public static final Map<String, Language> ALL = Map.of(
      "python", new Language("python", "main.py", List.of("/usr/bin/python3"), "py",
          Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}"), "MemoryError", 16, null),
      "javascript", new Language("javascript", "main.js", List.of("/usr/bin/node"), "js",
          Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]{0,127}"), "JavaScript heap out of memory", 48, null),
      "c", native_("c", "main.c", List.of("/usr/bin/gcc", "-std=c11", "-O2", "-pipe", "-o", "main", "{file}", "-lm")),
      "cpp", native_("cpp", "main.cpp", List.of("/usr/bin/g++", "-std=c++17", "-O2", "-pipe", "-o", "main", "{file}", "-lm")),
      // javac and jar are JVMs: their heap is bounded (the JVM cannot see the masked cgroup). The
      // program's heap is the job's memory limit; the JVM's own ~40 MB counts against it too.
      "java", new Language("java", "Main.java", List.of(), null, null, "java.lang.OutOfMemoryError", 64, new Compile(
          List.of("/bin/sh", "-c", "javac -J-Xmx256m -J-XX:+UseSerialGC -J-XX:TieredStopAtLevel=1 -encoding UTF-8 -d classes"
              + " \"$0\" && jar -J-Xmx128m -J-XX:+UseSerialGC --create --file main.jar -C classes .", "{file}"),
          "main.jar", 768, 30_000, 64 << 10,
          List.of("/usr/bin/java", "-Xmx{memory_mb}m", "-Xss64m", "-XX:+UseSerialGC", "-cp", "/work/main.jar", "{main}"))));

  /** A language gcc or g++ compiles to /work/main, with their limits: 512 MB, 15 s, 64 KB of output. */
  private static Language native_(String name, String file, List<String> argv) {
    return new Language(name, file, List.of(), null, null, null, 16,
        new Compile(argv, "main", 512, 15_000, 64 << 10, List.of("/work/main")));
  }

  private static final String HARNESS = "/opt/runner/run.";

  public boolean compiled() {
    return compile != null;
  }

  /** Whether a submission may be a function (called through the harness) rather than a program. */
  public boolean functionTests() {
    return harnessExtension != null;
  }

  /**
   * The command of one test. A compiled program runs as itself. Otherwise the harness runs the
   * submission as a program or calls one function: a job's first test runs in mode "detect" (or
   * "detect ENTRYPOINT"), which also reports on fd 3 the mode ("program", "function NAME",
   * "exports") or "CE"; the later tests run in that mode.
   */
  public List<String> run(String mode) {
    return Stream.concat(interpreter.stream(), Stream.of(HARNESS + harnessExtension, "/work/" + file, mode)).toList();
  }

  /** The name the source is stored under: fixed, but for Java the name its public class needs. */
  public String sourceFile(String code) {
    return name.equals("java") ? JavaSource.fileName(code) : file;
  }

  /** The compiler's command for this source. */
  public List<String> compileCommand(String code) {
    String source = sourceFile(code);
    return compile.argv().stream().map(a -> a.replace("{file}", source)).toList();
  }

  /** The command that runs the compiled program of this source under this memory limit. */
  public List<String> runCompiled(String code, int memoryMb) {
    String main = name.equals("java") ? JavaSource.mainClass(code) : "";
    return compile.run().stream().map(a -> a.replace("{main}", main).replace("{memory_mb}", String.valueOf(memoryMb))).toList();
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
