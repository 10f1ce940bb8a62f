package dev.runner.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.podman.PodmanClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Runs hostile programs in a real Podman sandbox through its resident supervisor. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
class SandboxTest {
  private static final RunLimits LIMITS = new RunLimits(2000, 3000, 1 << 20, 64 << 10, 16 << 20, 64, 64, false);
  private static Vertx vertx;
  private static PodmanClient podman;
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    podman = TestEnvironment.podman(vertx);
    NetClient net = vertx.createNetClient();
    sandbox = Sandbox.launch(vertx, podman, net, TestEnvironment.template("python", "test"), 128L << 20)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) sandbox.destroy().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Future<RunResult> python(String code, String stdin) {
    return sandbox.supervisor().run(List.of("/usr/bin/python3", "-c", code), stdin.getBytes(StandardCharsets.UTF_8), LIMITS, false);
  }

  private static void check(VertxTestContext ctx, Future<RunResult> run, java.util.function.Consumer<RunResult> asserts) {
    run.onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      asserts.accept(r);
      ctx.completeNow();
    })));
  }

  private static String out(RunResult r) { return r.stdout().toString(StandardCharsets.UTF_8); }

  @Test
  void runsAsUnprivilegedUserWithStdinFromMemory(VertxTestContext ctx) {
    check(ctx, python("import os\nprint(os.getuid(), input()[::-1])\n"
        + "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])", "olleh\n"), r -> {
      assertEquals(0, r.exitCode());
      assertEquals("1000 hello\n0000000000000000\n", out(r));
    });
  }

  @Test
  void networkIsUnreachable(VertxTestContext ctx) {
    check(ctx, python("import socket\ntry:\n socket.create_connection(('1.1.1.1',80),timeout=2);print('connected')\n"
        + "except OSError as e: print('blocked')", ""), r -> assertEquals("blocked\n", out(r)));
  }

  @Test
  void writesOutsideWorkAndTmpFail(VertxTestContext ctx) {
    String code = "import os\nfor p in ['/etc/x','/usr/x','/opt/x','/x','/var/x','/work/ok','/tmp/ok']:\n"
        + " try:\n  open(p,'w').write('1');print(p,'written')\n except OSError: print(p,'denied')";
    check(ctx, python(code, ""), r -> assertEquals("/etc/x denied\n/usr/x denied\n/opt/x denied\n/x denied\n/var/x denied\n"
        + "/work/ok written\n/tmp/ok written\n", out(r)));
  }

  @Test
  void supervisorChannelIsOutOfReach(VertxTestContext ctx) {
    check(ctx, python("import os\ntry:\n os.listdir('/opt/sv');print('visible')\nexcept OSError: print('hidden')\n"
        + "try:\n os.kill(1, 9);print('killed')\nexcept OSError: print('protected')", ""), r ->
        assertEquals("hidden\nprotected\n", out(r)));
  }

  @Test
  void busyLoopHitsTimeLimit(VertxTestContext ctx) {
    check(ctx, python("while True: pass", ""), r -> {
      assertTrue(r.timeLimit());
      assertNotEquals(0, r.signal());
    });
  }

  @Test
  void sleepHitsWallLimit(VertxTestContext ctx) {
    check(ctx, python("import time; time.sleep(30)", ""), r -> {
      assertTrue(r.timeLimit());
      assertTrue(r.wallMs() >= LIMITS.wallMs());
    });
  }

  @Test
  void memoryHogIsKilledAtTheContainerLimit(VertxTestContext ctx) {
    check(ctx, python("x = bytearray(400 * 1024 * 1024)", ""), r -> {
      assertTrue(r.memoryLimit());
      assertEquals(9, r.signal());
    });
  }

  @Test
  void outputFloodIsCutAtTheLimit(VertxTestContext ctx) {
    check(ctx, python("while True: print('x' * 4096)", ""), r -> {
      assertTrue(r.outputLimit());
      assertEquals(LIMITS.stdoutBytes(), r.stdout().length());
    });
  }

  @Test
  void forkBombIsContainedAndTheSandboxStaysUsable(VertxTestContext ctx) {
    Function<RunResult, Future<RunResult>> next = r -> python("print('alive')", "");
    check(ctx, python("import os\nwhile True:\n try: os.fork()\n except OSError: pass", "").compose(next),
        r -> assertEquals("alive\n", out(r)));
  }

  @Test
  void resetLeavesNothingForTheNextJob(VertxTestContext ctx) {
    String plant = "import os, subprocess\nopen('/work/left','w').write('1');open('/tmp/left','w').write('1')\n"
        + "open('/dev/shm/left','w').write('1')\nsubprocess.Popen(['sleep','100'], start_new_session=True)\nprint('planted')";
    String look = "import os\nprint(sorted(os.listdir('/work')), sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')))\n"
        + "print(len([p for p in os.listdir('/proc') if p.isdigit()]))";
    check(ctx, python(plant, "").compose(r -> {
      assertEquals("planted\n", out(r));
      return sandbox.supervisor().reset();
    }).compose(v -> python(look, "")), r -> {
      String[] lines = out(r).split("\n");
      assertEquals("[] [] []", lines[0]);
      assertEquals("1", lines[1]); // this test's python: the supervisor is invisible (hidepid)
      assertFalse(r.timeLimit());
    });
  }

  @Test
  void everyTestStartsCleanWithThePutFilesAsTheyWere(VertxTestContext ctx) {
    String spoil = "import os\nfor d in ['/work', '/tmp', '/dev/shm']: open(d + '/left', 'w').write('1')\n"
        + "os.unlink('/work/prog.txt'); open('/work/prog.txt', 'w').write('changed')\nprint('spoiled')";
    String look = "import os\nprint(sorted(os.listdir('/work')), os.listdir('/tmp'), os.listdir('/dev/shm'), open('/work/prog.txt').read())";
    check(ctx, sandbox.supervisor().put("prog.txt", "original".getBytes(StandardCharsets.UTF_8), 0644, true)
        .compose(v -> python(spoil, ""))
        .compose(r -> {
          assertEquals("spoiled\n", out(r));
          return python(look, ""); // no RESET in between: the next test of the same job
        })
        .eventually(() -> sandbox.supervisor().reset()), r -> assertEquals("['prog.txt'] [] [] original\n", out(r)));
  }

  @Test
  void stdinIsASealedMemfd(VertxTestContext ctx) {
    String code = "import os, fcntl\nprint(os.readlink('/proc/self/fd/0'))\n"
        + "print(fcntl.fcntl(0, 1034) & 15)\n" // F_GET_SEALS: SEAL|SHRINK|GROW|WRITE
        + "try:\n os.write(0, b'x'); print('wrote')\nexcept OSError as e: print(e.errno)";
    check(ctx, python(code, "input"), r -> assertEquals("/memfd:stdin (deleted)\n15\n1\n", out(r)));
  }

  @Test
  void aLimitThatCannotBeSetRefusesTheRunInsteadOfRunningWeaker(VertxTestContext ctx) {
    RunLimits tooManyFiles = new RunLimits(2000, 3000, 1 << 20, 64 << 10, 16 << 20, 64, 1 << 20, false); // above the hard nofile
    sandbox.supervisor().run(List.of("/usr/bin/python3", "-c", "print('ran')"), new byte[0], tooManyFiles, false)
        .onComplete(ctx.failing(err -> ctx.verify(() -> {
          assertTrue(err instanceof SandboxFailure, err.toString());
          assertTrue(err.getMessage().contains("RLIMIT_NOFILE"), err.getMessage());
          ctx.completeNow();
        })));
  }

  @Test
  void anAbortedRunEndsAtOnceAndTheSandboxStaysUsable(VertxTestContext ctx) {
    Future<RunResult> run = python("import time; time.sleep(30)", "");
    vertx.setTimer(300, t -> sandbox.supervisor().abort());
    check(ctx, run.compose(r -> {
      assertTrue(r.aborted());
      assertTrue(r.wallMs() < 2000, "wall " + r.wallMs());
      return python("print('alive')", "");
    }), r -> assertEquals("alive\n", out(r)));
  }

  @Test
  void cpuTimeCoversTheWholeProcessTree(VertxTestContext ctx) {
    String code = "import os, time\npid = os.fork()\nif pid == 0:\n end = time.process_time() + 1.2\n"
        + " while time.process_time() < end: pass\n os._exit(0)\nos.waitpid(pid, 0)\nprint('done')";
    check(ctx, python(code, ""), r -> {
      assertEquals("done\n", out(r));
      assertTrue(r.cpuMs() >= 1100, "cpu " + r.cpuMs());
    });
  }

  @Test
  void aTreeDeeperThanTheSupervisorHasFilesIsStillWiped(VertxTestContext ctx) {
    String nest = "import os\nfor d in ['/work', '/tmp']:\n os.chdir(d)\n for i in range(1500):\n"
        + "  os.mkdir('d'); os.chdir('d'); open('f', 'w').write('x')\nos.chmod('/work/d', 0)\nprint('nested')";
    check(ctx, python(nest, "").compose(r -> {
      assertEquals("nested\n", out(r));
      return python("import os\nprint(os.listdir('/work'), os.listdir('/tmp'))", "");
    }), r -> assertEquals("[] []\n", out(r)));
  }

  @Test
  void threadsOnlyAllowsThreadsButNoProcess(VertxTestContext ctx) {
    RunLimits threadsOnly = new RunLimits(2000, 3000, 1 << 20, 64 << 10, 16 << 20, 64, 64, true);
    String code = "import os, subprocess, threading\n"
        + "t = threading.Thread(target=lambda: print('thread')); t.start(); t.join()\n"
        + "try:\n os.fork(); print('forked')\nexcept OSError as e: print('fork', e.errno)\n"
        + "try:\n subprocess.run(['/bin/true']); print('spawned')\nexcept OSError as e: print('spawn', e.errno)";
    check(ctx, sandbox.supervisor().run(List.of("/usr/bin/python3", "-c", code), new byte[0], threadsOnly, false),
        r -> assertEquals("thread\nfork 11\nspawn 11\n", out(r)));
  }

  /** A RUN header with every field but {@code drop}, and {@code extra} added, for the argv given. */
  private static Buffer rawRun(Buffer args, String drop, String extra) {
    String fields = "argv_len=" + args.length() + " stdin_len=0 " + LIMITS.header() + " report=0 collect= collect_max=0";
    StringBuilder header = new StringBuilder("RUN");
    for (String f : fields.split(" ")) if (!f.startsWith(drop + "=")) header.append(' ').append(f);
    return Buffer.buffer(header + extra + "\n").appendBuffer(args);
  }

  @Test
  void aRequestMissingAFieldIsRefusedNamingItAndTheSupervisorStillAnswers(VertxTestContext ctx) {
    Buffer args = Buffer.buffer();
    for (String a : List.of("/usr/bin/python3", "-c", "open('/work/ran', 'w').write('1')")) args.appendString(a).appendByte((byte) 0);
    SupervisorClient sv = sandbox.supervisor();
    check(ctx, sv.exchange(rawRun(args, "cpu_ms", "")).compose(line -> {
      assertEquals("ERR missing field cpu_ms", line);
      return sv.exchange(rawRun(args, "nofork", ""));
    }).compose(line -> {
      assertEquals("ERR missing field nofork", line);
      return sv.exchange(rawRun(args, "wall_ms", " wall_ms=2s"));
    }).compose(line -> {
      assertEquals("ERR bad field wall_ms", line);
      return sv.exchange(rawRun(args, "report", " report=2"));
    }).compose(line -> {
      assertEquals("ERR bad field report", line);
      return sv.exchange(rawRun(args, "", " nofrok=1"));
    }).compose(line -> {
      assertEquals("ERR unknown field nofrok", line);
      return sv.exchange(Buffer.buffer("PUT name_len=1 data_len=2 mode=420\nxab"));
    }).compose(line -> {
      assertEquals("ERR missing field keep", line);
      return sv.exchange(Buffer.buffer("PING x=1\n"));
    }).compose(line -> {
      assertEquals("ERR unknown field x", line);
      return sv.ping();
    }).compose(v -> python("import os\nprint(os.listdir('/work'))", "")), r -> {
      assertEquals("[]\n", out(r)); // none of the refused requests ran or wrote anything
      assertFalse(sv.isClosed());
    });
  }

  @Test
  void aFileNotKeptIsThereForItsRunAndGoneAfter(VertxTestContext ctx) {
    SupervisorClient sv = sandbox.supervisor();
    check(ctx, sv.put("data.txt", "per-test data".getBytes(StandardCharsets.UTF_8), 0644, false)
        .compose(v -> python("import os\nprint(open('/work/data.txt').read(), oct(os.stat('/work/data.txt').st_mode & 0o777))", ""))
        .compose(r -> {
          assertEquals("per-test data 0o644\n", out(r));
          return python("import os\nprint(os.listdir('/work'))", "");
        })
        .eventually(sv::reset), r -> assertEquals("[]\n", out(r)));
  }

  @Test
  void keptFilesAreRestoredAfterATestDeletedReplacedOrMovedThem(VertxTestContext ctx) {
    SupervisorClient sv = sandbox.supervisor();
    String spoil = "import os\nos.unlink('/work/a.sh'); os.symlink('/etc/passwd', '/work/a.sh')\n"
        + "os.rename('/work/b.txt', '/work/moved'); os.unlink('/work/c.txt')\nprint(sorted(os.listdir('/work')))";
    String look = "import os\nfor n in sorted(os.listdir('/work')):\n"
        + " p = '/work/' + n; print(n, os.path.islink(p), oct(os.stat(p).st_mode & 0o777), open(p).read())";
    check(ctx, sv.put("a.sh", "echo a".getBytes(StandardCharsets.UTF_8), 0755, true)
        .compose(v -> sv.put("b.txt", "bee".getBytes(StandardCharsets.UTF_8), 0644, true))
        .compose(v -> sv.put("c.txt", new byte[0], 0644, true))
        .compose(v -> python(spoil, ""))
        .compose(r -> {
          assertEquals("['a.sh', 'moved']\n", out(r));
          return python(look, "");
        })
        .eventually(sv::reset), r -> assertEquals("a.sh False 0o755 echo a\nb.txt False 0o644 bee\nc.txt False 0o644 \n", out(r)));
  }

  @Test
  void aLargeFileIsStreamedInAndRestoredWhole(VertxTestContext ctx) throws Exception {
    byte[] data = new byte[40 << 20];
    for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + (i >>> 13));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    String hash = "import hashlib, os\nh = hashlib.sha256()\nwith open('/work/big.bin', 'rb') as f:\n"
        + " for chunk in iter(lambda: f.read(1 << 20), b''): h.update(chunk)\n"
        + "print(os.path.getsize('/work/big.bin'), h.hexdigest())\nos.unlink('/work/big.bin')";
    SupervisorClient sv = sandbox.supervisor();
    String expected = data.length + " " + sha + "\n";
    check(ctx, sv.put("big.bin", data, 0644, true)
        .compose(v -> python(hash, ""))
        .compose(r -> {
          assertEquals(expected, out(r));
          return python(hash, ""); // deleted by the first: restored from the kept copy
        })
        .eventually(sv::reset), r -> assertEquals(expected, out(r)));
  }
}
