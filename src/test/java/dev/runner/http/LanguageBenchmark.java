package dev.runner.http;

import dev.runner.BareInterpreter;
import dev.runner.Main;
import dev.runner.TestEnvironment;
import dev.runner.config.RunnerConfig;
import dev.runner.lang.Language;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Not a test: `./runner bench`. Every language the node serves (the ids of its configuration, from
 * RUNNER_IMAGES and the images' languages.json), each with an A+B program, measured in one run side by
 * side with a baseline, round by round (one job, then one bare compile and run), after two warm-up
 * rounds (one per pooled sandbox): (b) the latency of a one-test job through POST /run of a real node
 * (pool of 2), against the bare compile and run of the same source by the same image's compiler and
 * runtime; (c) the compile step alone, the response's {@code compile.time_ms} (the supervisor's wall time of the compiler), against
 * the bare compile's wall time. The commands are the language's own, taken from its {@link Language}
 * (compile command, artifact, run command with the job's default 256 MB: Java's heap is 208 MB), so
 * the baseline follows languages.json. Python and JavaScript have no compile step (their harness checks
 * the code on the first test): their baseline is the interpreter running the file, with no harness.
 * (a), a 100-test C job per test against the program run bare, is {@link JobBenchmark}'s.
 *
 * <p>The baseline, {@link BareRoot}: the image's root mounted by {@code podman image mount} is a
 * read-only overlay, shared with every other user of the image (other benchmarks, other sessions'
 * mounts), so nothing is written to it. A holder process of our own, started by {@code unshare --mount
 * --propagation slave}, bind-mounts two fresh scratch dirs of ours from the host's /dev/shm (a tmpfs,
 * as the sandbox's /work and /tmp are) over the root's /work and /tmp, mounts a /proc, and chroots into
 * the root, cwd /work, where it waits on its stdin. These mounts exist in its mount namespace only (a
 * slave: the host's mount events reach it, none of its own leave it), so the image and the host's
 * mount table are untouched, and they vanish with it; it also exits if this JVM dies (its stdin
 * closes). Each bare command is {@code nsenter --mount --root --wd} into that holder: one exec, as the
 * plain chroot of {@link BareInterpreter} is, running the image's binaries as root with the
 * supervisor's clean environment, and no container, supervisor, cgroup, seccomp, user namespace, CPU
 * quota or memory-limit updates. The host writes the source into the scratch /work and empties both
 * scratch dirs before each compile (outside the timing), as the sandbox's reset does: every compile,
 * Go's included (its cache is in /tmp), starts cold on both sides. At the end the holder exits, the
 * scratch dirs are removed and the image is unmounted.
 *
 * <p>The overhead column is the job's p50 less the bare compile and run's p50: HTTP and the event bus,
 * the memory-limit updates around the compile, the program's trip out of the sandbox and back in, the
 * reset between, and the one CPU a sandbox gets (a compiler with threads, go or javac's JVM, gets
 * both cores bare). The service's compile time is the supervisor's fork to reap of the compiler; a bare
 * figure also holds the JVM's launch of nsenter (its p50 is printed under the table, measured with
 * /bin/true): once in a bare compile, twice in a bare compile + run.
 */
class LanguageBenchmark {
  private static final int WARMUP = Integer.getInteger("bench.warmup", 2);
  private static final int RUNS = Integer.getInteger("bench.runs", 10);
  private static final int MEMORY_MB = 256; // the API's default
  private static final String INPUT = "20 22";
  private static final String EXPECTED = "42";
  /** The supervisor's environment for a program (containers/supervisor/supervisor.c). */
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin", "HOME", "/work",
      "TMPDIR", "/tmp", "LANG", "C.UTF-8", "PYTHONDONTWRITEBYTECODE", "1");
  private static final List<String> ORDER = List.of("c", "cpp11", "cpp14", "cpp17", "cpp20", "java", "go", "rust", "pas", "cs",
      "rb", "lua", "pypy3", "py2", "hs", "python", "javascript");
  private static final String CPP = "#include <iostream>\nint main() { long long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n";
  private static final Map<String, String> A_PLUS_B = Map.ofEntries(
      Map.entry("c", "#include <stdio.h>\nint main(void) { long long a, b; if (scanf(\"%lld %lld\", &a, &b) != 2) return 1;"
          + " printf(\"%lld\\n\", a + b); return 0; }\n"),
      Map.entry("cpp11", CPP), Map.entry("cpp14", CPP), Map.entry("cpp17", CPP), Map.entry("cpp20", CPP),
      Map.entry("java", "import java.util.Scanner;\n\npublic class Main {\n  public static void main(String[] args) {\n"
          + "    Scanner in = new Scanner(System.in);\n    System.out.println(in.nextLong() + in.nextLong());\n  }\n}\n"),
      Map.entry("go", "package main\nimport \"fmt\"\nfunc main() { var a, b int64; fmt.Scan(&a, &b); fmt.Println(a + b) }\n"),
      Map.entry("rust", "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap();\n"
          + " let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect(); println!(\"{}\", v[0] + v[1]); }\n"),
      Map.entry("pas", "var a, b: int64;\nbegin\n  readln(a, b);\n  writeln(a + b);\nend.\n"),
      Map.entry("cs", "using System;\nclass P { static void Main() { var s = Console.ReadLine().Split(' ');\n"
          + " Console.WriteLine(long.Parse(s[0]) + long.Parse(s[1])); } }\n"),
      Map.entry("rb", "a, b = gets.split.map(&:to_i)\nputs a + b\n"),
      Map.entry("lua", "local a, b = io.read('n', 'n')\nprint(a + b)\n"),
      Map.entry("pypy3", "a, b = map(int, input().split())\nprint(a + b)\n"),
      Map.entry("py2", "a, b = map(int, raw_input().split())\nprint a + b\n"),
      Map.entry("hs", "main = do\n  [a, b] <- map read . words <$> getLine\n  print (a + b :: Integer)\n"),
      Map.entry("python", "a, b = map(int, input().split())\nprint(a + b)\n"),
      Map.entry("javascript", "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);\n"
          + "console.log(a + b);\n"));

  @Test
  void languages() throws Exception {
    long started = System.nanoTime();
    RunnerConfig config = TestEnvironment.node(2);
    List<String> ids = new ArrayList<>(ORDER.stream().filter(config.languages()::containsKey).toList());
    config.languages().keySet().stream().filter(id -> !ORDER.contains(id)).sorted().forEach(ids::add);
    Vertx node = Main.start(config).await();
    WebClient client = WebClient.create(node, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(config.httpPort()));
    Map<String, BareRoot> roots = new LinkedHashMap<>();
    List<String> table = new ArrayList<>();
    double launchP50 = Double.NaN;
    try {
      for (String id : ids) {
        String code = A_PLUS_B.get(id);
        if (code == null) {
          table.add(String.format("%-11s no A+B program in LanguageBenchmark", id));
          continue;
        }
        Language lang = config.languages().get(id);
        String image = config.images().get(id);
        BareRoot bare = roots.get(image);
        if (bare == null) roots.put(image, bare = new BareRoot(image));
        double[] job = new double[RUNS], bareTotal = new double[RUNS], compile = new double[RUNS], bareCompile = new double[RUNS];
        long t = System.nanoTime();
        for (int r = -WARMUP; r < RUNS; r++) {
          long t0 = System.nanoTime();
          JsonObject res = post(client, id, uncached(id, code, r));
          long t1 = System.nanoTime();
          double[] b = bare.compileAndRun(lang, code);
          if (r < 0) continue;
          job[r] = (t1 - t0) / 1e6;
          JsonObject c = res.getJsonObject("compile");
          compile[r] = c == null ? Double.NaN : c.getLong("time_ms");
          bareCompile[r] = b[0];
          bareTotal[r] = b[1];
        }
        System.err.printf("[LanguageBenchmark] %s: %d rounds in %.1f s%n", id, WARMUP + RUNS, (System.nanoTime() - t) / 1e9);
        table.add(String.format("%-11s %9.1f %9.1f %12.1f %12s %12s %9.1f", id, p50(job), mean(job), p50(bareTotal),
            lang.compiled() ? String.format("%.1f", p50(compile)) : "-", lang.compiled() ? String.format("%.1f", p50(bareCompile)) : "-",
            p50(job) - p50(bareTotal)));
      }
      // What every bare figure carries and compile.time_ms (the supervisor's fork to reap) does not:
      // the JVM's process launch and nsenter's exec, once in a bare compile, twice in a bare compile + run.
      if (!roots.isEmpty()) {
        BareRoot any = roots.values().iterator().next();
        double[] launch = new double[20];
        for (int i = 0; i < launch.length; i++) {
          long t0 = System.nanoTime();
          any.exec(List.of("/bin/true"), "", "/bin/true");
          launch[i] = (System.nanoTime() - t0) / 1e6;
        }
        launchP50 = p50(launch);
      }
    } finally {
      for (BareRoot root : roots.values()) {
        try {
          root.close();
        } catch (Exception e) {
          System.err.println("[LanguageBenchmark] cleaning up " + root + ": " + e);
        }
      }
      node.close().await();
    }
    System.out.printf("%nOne-test A+B jobs over POST /run against the bare compile + run in the same image; ms, %d runs each after %d warm-up%n",
        RUNS, WARMUP);
    System.out.printf("%-11s %9s %9s %12s %12s %12s %9s%n", "", "job", "job", "bare c+r", "compile", "compile", "overhead");
    System.out.printf("%-11s %9s %9s %12s %12s %12s %9s%n", "language", "p50", "mean", "p50", "p50 service", "p50 bare", "p50");
    table.forEach(System.out::println);
    System.out.printf("A bare launch (the JVM starting nsenter into the root, running /bin/true): p50 %.1f ms; it is in each bare"
        + " compile once, in each bare compile + run twice, and not in the service's compile time.%n", launchP50);
    System.out.printf("(%.0f s in all)%n%n", (System.nanoTime() - started) / 1e9);
  }

  /**
   * The code with a comment of its own, so every job compiles: the cluster's compile cache would
   * otherwise answer identical code without a compile.
   */
  private static String uncached(String language, String code, int run) {
    String mark = " runner-bench " + System.nanoTime() + " " + run;
    return code + switch (language) {
      case "rb", "pypy3", "py2", "python" -> "#" + mark + "\n";
      case "lua", "hs" -> "--" + mark + "\n";
      case "pas" -> "{" + mark + "}\n";
      default -> "//" + mark + "\n";
    };
  }

  private static JsonObject post(WebClient client, String language, String code) {
    JsonObject test = new JsonObject().put("id", "t1").put("input", INPUT).put("expected_output", EXPECTED);
    JsonObject job = new JsonObject().put("language", language).put("code", code)
        .put("tests", new JsonObject().put("visible", new JsonArray().add(test)));
    HttpResponse<Buffer> r = client.post("/run").sendBuffer(job.toBuffer()).await();
    if (r.statusCode() != 200) throw new IllegalStateException(language + ": " + r.bodyAsString());
    JsonObject res = r.bodyAsJsonObject();
    if (res.getJsonObject("summary").getInteger("passed") != 1) throw new IllegalStateException(language + ": " + res.encode());
    return res;
  }

  private static double p50(double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double mean(double[] ms) {
    return Arrays.stream(ms).average().orElse(Double.NaN);
  }

  /**
   * One image's root for bare runs, with a writable /work and /tmp of our own that only our holder's
   * mount namespace sees (see the class comment).
   */
  private static final class BareRoot implements AutoCloseable {
    private static final String HOLDER = "mount --bind \"$1\" \"$3/work\" && mount --bind \"$2\" \"$3/tmp\""
        + " && mount -t proc proc \"$3/proc\" && echo ready && exec chroot \"$3\" /bin/sh -c 'cd /work && exec cat'";
    private final String image;
    private final BareInterpreter mounted;
    private Path scratch;
    private Path work;
    private Path tmp;
    private Process holder;

    BareRoot(String image) throws IOException, InterruptedException {
      this.image = image;
      this.mounted = new BareInterpreter(image);
      try {
        scratch = Files.createTempDirectory(Path.of("/dev/shm"), "runner-bench-");
        work = Files.createDirectory(scratch.resolve("work"));
        tmp = Files.createDirectory(scratch.resolve("tmp"));
        for (Path p : List.of(work, tmp)) Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxrwxrwx"));
        holder = new ProcessBuilder("unshare", "--mount", "--propagation", "slave", "--", "/bin/sh", "-c", HOLDER, "sh",
            work.toString(), tmp.toString(), mounted.root()).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (!"ready".equals(line)) {
          StringBuilder why = new StringBuilder(String.valueOf(line));
          for (String l; (l = out.readLine()) != null; ) why.append('\n').append(l);
          throw new IOException("the bare root's holder for " + image + " failed: " + why);
        }
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    /** Empties /work and /tmp, writes the source, compiles it (if the language does) and runs it: {compile ms, total ms}. */
    double[] compileAndRun(Language lang, String code) throws IOException, InterruptedException {
      empty(work);
      empty(tmp);
      Files.writeString(work.resolve(lang.sourceFile(code)), code);
      long t0 = System.nanoTime();
      if (lang.compiled()) {
        String out = exec(lang.compileCommand(code), "", lang.name() + " compile");
        if (!Files.exists(work.resolve(lang.compile().artifact()))) throw new IllegalStateException(lang.name() + ": no artifact: " + out);
      }
      long t1 = System.nanoTime();
      List<String> run = lang.compiled() ? lang.runCompiled(code, MEMORY_MB)
          : Stream.concat(lang.interpreter().stream(), Stream.of("/work/" + lang.sourceFile(code))).toList();
      String out = exec(run, INPUT, lang.name() + " run");
      long t2 = System.nanoTime();
      if (!out.trim().equals(EXPECTED)) throw new IllegalStateException(lang.name() + " printed " + out);
      return new double[] {lang.compiled() ? (t1 - t0) / 1e6 : Double.NaN, (t2 - t0) / 1e6};
    }

    /** Runs {@code argv} in the holder's root, in /work; returns its stdout and stderr; fails on a non-zero exit. */
    private String exec(List<String> argv, String stdin, String what) throws IOException, InterruptedException {
      if (!holder.isAlive()) throw new IllegalStateException("the bare root's holder for " + image + " exited");
      List<String> command = new ArrayList<>(List.of("nsenter", "--target", String.valueOf(holder.pid()), "--mount", "--root", "--wd", "--"));
      command.addAll(argv);
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().clear();
      pb.environment().putAll(ENV);
      Process p = pb.start();
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.waitFor() != 0) throw new IllegalStateException(what + " (bare) failed, exit " + p.exitValue() + ": " + out);
      return out;
    }

    /** Removes what is in {@code dir} (ours, under /dev/shm), never following a link. */
    private static void empty(Path dir) throws IOException {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          if (e != null) throw e;
          if (!d.equals(dir)) Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    }

    @Override
    public void close() throws IOException, InterruptedException {
      try {
        if (holder != null) {
          holder.getOutputStream().close(); // its cat sees the end of its input and exits, and its mounts go with it
          if (!holder.waitFor(10, TimeUnit.SECONDS)) {
            holder.destroyForcibly();
            holder.waitFor();
          }
        }
        if (scratch != null) {
          for (Path p : List.of(work, tmp)) if (p != null && Files.isDirectory(p)) empty(p);
          for (Path p : List.of(work, tmp)) if (p != null) Files.deleteIfExists(p);
          Files.deleteIfExists(scratch);
        }
      } finally {
        mounted.close();
      }
    }

    @Override
    public String toString() {
      return image;
    }
  }
}
