package dev.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.config.RunnerConfig;
import dev.runner.podman.PodmanClient;
import dev.runner.sandbox.SandboxSpec;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hostile programs and clients against a real node, one case per hole the hardening closed. The
 * pool has one sandbox per language, so consecutive jobs of a language run in the same container;
 * the cases that depend on it check the container's hostname.
 */
class SecurityTest {
  private static TestNode node;
  private static WebClient client;
  private static RunnerConfig config;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
    client = node.client;
    config = node.config;
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static JsonObject test(String id, String input, String expected) {
    return new JsonObject().put("id", id).put("input", input).put("expected_output", expected);
  }

  private static JsonObject run(WebClient on, String language, String code, JsonArray visible, JsonArray hidden) {
    JsonObject req = new JsonObject().put("language", language).put("code", code)
        .put("tests", new JsonObject().put("visible", visible).put("hidden", hidden));
    HttpResponse<Buffer> r = on.post("/run").sendJsonObject(req).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  /** The stdout of a one-test job. */
  private static String output(String language, String code) {
    JsonObject r = run(client, language, code, new JsonArray().add(test("t", "", "")), new JsonArray());
    return r.getJsonObject("test_results").getJsonArray("visible").getJsonObject(0).getString("actual_output").trim();
  }

  private static final String PY_SYSCALLS = """
      import ctypes, os, socket
      libc = ctypes.CDLL(None, use_errno=True)
      def call(nr, *args):
          r = libc.syscall(nr, *args)
          return 0 if r >= 0 else ctypes.get_errno()
      """;

  @Test
  void hiddenInputsDoNotReachTheNextJobThroughKernelKeyrings() {
    String leak = PY_SYSCALLS + """
        import sys
        data = sys.stdin.read().strip().encode()
        print(socket.gethostname())
        print(call(250, 1, b"LEAK:" + data))  # keyctl(KEYCTL_JOIN_SESSION_KEYRING, name)
        print(call(248, b"user", b"LEAK:" + data, b"x", 1, -4))  # add_key(..., @u)
        """;
    JsonObject first = run(client, "python", leak, new JsonArray().add(test("v", "visible", "")),
        new JsonArray().add(test("h", "SECRET-HIDDEN-INPUT", "")));
    String[] seen = first.getJsonObject("test_results").getJsonArray("visible").getJsonObject(0).getString("actual_output").split("\n");
    assertEquals("1", seen[1], "keyctl must fail with EPERM");
    assertEquals("1", seen[2], "add_key must fail with EPERM");

    String look = PY_SYSCALLS + """
        print(socket.gethostname())
        buf = ctypes.create_string_buffer(4096)
        print(call(250, 11, -4, buf, 4096))  # keyctl(KEYCTL_READ, @u): the keys linked to the user keyring
        print(open("/proc/keys").read())
        """;
    String later = output("python", look);
    assertEquals(seen[0], later.split("\n")[0], "both jobs ran in the same container");
    assertEquals("1", later.split("\n")[1], "the later job cannot read the user keyring either");
    assertFalse(later.contains("LEAK") || later.contains("SECRET"), later);
  }

  /** A JavaScript submission writes a small binary of its own into /work and runs it. */
  @Test
  void aBinaryTheProgramWritesItselfIsUnderTheSameFilter() throws Exception {
    Path dir = Files.createTempDirectory("probe");
    Path probe = dir.resolve("probe");
    Process gcc = new ProcessBuilder("gcc", "-nostdlib", "-static", "-Os", "-fno-stack-protector", "-fno-builtin",
        "-mgeneral-regs-only", "-o", probe.toString(), "src/test/resources/probe.c").inheritIO().start();
    assertTrue(gcc.waitFor(60, TimeUnit.SECONDS) && gcc.exitValue() == 0, "gcc failed");
    String b64 = Base64.getEncoder().encodeToString(Files.readAllBytes(probe));
    Files.delete(probe);
    Files.delete(dir);
    String code = "const fs = require('fs');\n"
        + "fs.writeFileSync('/work/probe', Buffer.from('" + b64 + "', 'base64'), { mode: 0o755 });\n"
        + "process.stdout.write(require('child_process').execFileSync('/work/probe'));\n";
    assertEquals("add_key=-1\nkeyctl_join=-1\nunshare=-1\nvsock=-97", output("javascript", code));
  }

  @Test
  void theProgramCannotCreateNamespaces() {
    String code = PY_SYSCALLS + """
        import threading
        print(call(272, 0x10000000))               # unshare(CLONE_NEWUSER)
        print(call(272, 0x40000000 | 0x00020000))  # unshare(CLONE_NEWNET | CLONE_NEWNS)
        print(call(56, 0x10000000 | 17, 0, 0, 0, 0))  # clone(CLONE_NEWUSER | SIGCHLD)
        print(call(308, os.open("/proc/self/ns/net", os.O_RDONLY), 0))  # setns
        t = threading.Thread(target=lambda: print("thread"))
        t.start(); t.join()
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        print(os.waitpid(pid, 0)[1] >> 8)
        """;
    assertEquals("1\n1\n1\n1\nthread\n7", output("python", code));
  }

  @Test
  void onlyUnixInetAndRoutingNetlinkSocketsAreAllowed() {
    String code = PY_SYSCALLS + """
        def family(f, t=socket.SOCK_STREAM, p=0):
            try:
                socket.socket(f, t, p).close()
                return "ok"
            except OSError as e:
                return str(e.errno)
        print(family(socket.AF_VSOCK), family(socket.AF_PACKET, socket.SOCK_RAW), family(socket.AF_ALG, socket.SOCK_SEQPACKET),
              family(31, socket.SOCK_STREAM, 0), family(socket.AF_NETLINK, socket.SOCK_RAW, 12),
              family(socket.AF_NETLINK, socket.SOCK_RAW, 9))
        print(family(socket.AF_UNIX), family(socket.AF_INET), family(socket.AF_INET6),
              family(socket.AF_NETLINK, socket.SOCK_RAW, 0), [n for _, n in socket.if_nameindex()])
        print(call(425, 8, 0))  # io_uring_setup
        """;
    assertEquals("97 97 97 97 97 97\nok ok ok ok ['lo']\n38", output("python", code));
  }

  @Test
  void cgroupCountersAndTheSupervisorAreHiddenFromTheProgram() {
    String code = """
        import os
        print(os.listdir("/sys/fs/cgroup"))
        print(os.path.exists("/proc/1"), [p for p in os.listdir("/proc") if p.isdigit()] == [str(os.getpid())])
        """;
    assertEquals("[]\nFalse True", output("python", code));
  }

  /** Every place the program could leave something for the next test is one the supervisor wipes. */
  @Test
  void theOnlyWritablePlacesAreTheWipedOnes() {
    String code = """
        import os
        found = []
        for top in ["/"]:
            for root, dirs, files in os.walk(top):
                if root in ("/proc", "/sys"):
                    dirs[:] = []
                    continue
                if os.access(root, os.W_OK):
                    found.append(root)
                    dirs[:] = []  # everything below a writable dir is the program's anyway
                    continue
                for f in files:
                    p = os.path.join(root, f)
                    if not os.path.islink(p) and os.access(p, os.W_OK) and not p.startswith("/dev/"):
                        found.append(p)
        print(sorted(found))
        """;
    assertEquals("['/dev/mqueue', '/dev/shm', '/tmp', '/work']", output("python", code));
  }

  @Test
  void testsOfOneJobNeitherSeeNorStarveEachOther() {
    // Test 1 leaves files and fills the tmpfs (charged to the container's memory); test 2 of the same
    // job finds nothing and gets its whole memory limit.
    String code = """
        import os, sys
        what = sys.stdin.read().strip()
        if what == "fill":
            open("/tmp/secret", "w").write("from test 1")
            with open("/work/fill", "wb") as f:
                f.write(b"x" * (60 << 20))
            with open("/dev/shm/fill", "wb") as f:
                f.write(b"x" * (15 << 20))
            print("filled")
        else:
            x = bytearray(200 << 20)
            for i in range(0, len(x), 4096): x[i] = 1
            print(sorted(os.listdir("/work")), os.listdir("/tmp"), os.listdir("/dev/shm"))
        """;
    JsonObject req = new JsonObject().put("language", "python").put("code", code).put("memory_limit_mb", 256)
        .put("tests", new JsonObject().put("visible", new JsonArray()
            .add(test("fill", "fill", "filled")).add(test("look", "look", "['main.py'] [] []"))));
    JsonObject r = client.post("/run").sendJsonObject(req).await().bodyAsJsonObject();
    JsonArray visible = r.getJsonObject("test_results").getJsonArray("visible");
    assertEquals("OK", visible.getJsonObject(0).getString("verdict"), visible.encode());
    assertEquals("OK", visible.getJsonObject(1).getString("verdict"), visible.encode());
  }

  /** tmpfs pages are charged to the container and cannot be reclaimed: filling them is the program's MLE. */
  @Test
  void fillingTheTmpfsBeyondTheMemoryLimitIsTheProgramsMemoryLimit() {
    String code = """
        for d in ["/work", "/tmp", "/dev/shm"]:
            with open(d + "/fill", "wb") as f:
                for i in range(64):
                    f.write(b"x" * (1 << 20))
        print("filled")
        """;
    JsonObject req = new JsonObject().put("language", "python").put("code", code).put("memory_limit_mb", 32)
        .put("tests", new JsonObject().put("visible", new JsonArray().add(test("a", "", "filled")).add(test("b", "", "filled"))));
    HttpResponse<Buffer> r = client.post("/run").sendJsonObject(req).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonArray visible = r.bodyAsJsonObject().getJsonObject("test_results").getJsonArray("visible");
    for (int i = 0; i < 2; i++) {
      String v = visible.getJsonObject(i).getString("verdict");
      assertTrue(v.equals("MLE") || v.equals("RTE"), visible.encode()); // killed, or ENOSPC on a full tmpfs
    }
    assertEquals("OK", run(client, "python", "print('expected')", new JsonArray().add(test("t", "", "expected")), new JsonArray())
        .getJsonObject("test_results").getJsonArray("visible").getJsonObject(0).getString("verdict"));
  }

  @Test
  void cpuTimeCoversEveryProcessOfTheTest() {
    String code = """
        import os, time
        if os.fork() == 0:
            end = time.process_time() + 1.3
            while time.process_time() < end: pass
            os._exit(0)
        time.sleep(1.6)  # never waits for its helper: only the supervisor reaps it
        print("done")
        """;
    JsonObject r = run(client, "python", code, new JsonArray().add(test("t", "", "done")), new JsonArray());
    JsonObject t = r.getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
    assertTrue(t.getLong("cpu_time_ms") >= 1200, t.encode());
  }

  /** The TCP sockets this JVM listens on, as "address:port" read from /proc/net/tcp and tcp6. */
  private static List<String> listeningAddressesOfThisProcess() throws IOException {
    Set<String> inodes = new HashSet<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) inodes.add(target.substring(8, target.length() - 1));
        } catch (IOException gone) {
          // closed meanwhile
        }
      }
    }
    List<String> listening = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
        String[] f = line.trim().split("\\s+");
        if (!f[3].equals("0A") || !inodes.contains(f[9])) continue; // 0A: LISTEN
        String[] local = f[1].split(":");
        listening.add(address(local[0]) + ":" + Integer.parseInt(local[1], 16));
      }
    }
    return listening;
  }

  private static String address(String hex) {
    if (hex.length() == 8) { // IPv4, little-endian
      long v = Long.parseLong(hex, 16);
      return (v & 255) + "." + (v >> 8 & 255) + "." + (v >> 16 & 255) + "." + (v >> 24 & 255);
    }
    if (hex.startsWith("0000000000000000FFFF0000")) return address(hex.substring(24)); // ::ffff:a.b.c.d
    return hex.equals("00000000000000000000000000000000") ? "[::]" : "[" + hex + "]";
  }

  @Test
  void theNodeListensOnTheConfiguredHostsOnly() throws IOException {
    List<String> listening = listeningAddressesOfThisProcess();
    assertTrue(listening.contains("127.0.0.1:" + config.httpPort()), listening.toString());
    assertTrue(listening.size() >= 3, "HTTP, Hazelcast and the event bus: " + listening);
    for (String a : listening) assertTrue(a.startsWith("127.0.0.1:"), "listens beyond the cluster host: " + listening);
  }

  @Test
  void channelDirsAreRootOnlyAndOwnedByTheirContainer() throws Exception {
    output("python", "print('a sandbox is up')");
    Path sandboxes = config.stateDir().resolve("sandboxes");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(sandboxes, LinkOption.NOFOLLOW_LINKS)));
    assertEquals(0, (int) Files.getAttribute(sandboxes, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    // A sandbox being replaced (launching, or removed after a test that broke it) is in between: wait
    // until every image has one that is up, its supervisor listening.
    List<Path> ours = channelDirs(sandboxes);
    int images = new HashSet<>(config.images().values()).size(); // a pool per image
    for (int i = 0; i < 100 && !(ours.size() == images && ours.stream().allMatch(d -> Files.exists(d.resolve("sv.sock")))); i++) {
      Thread.sleep(200);
      ours = channelDirs(sandboxes);
    }
    assertEquals(images, ours.size(), "one sandbox per image: " + ours);
    for (Path dir : ours) {
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)));
      assertNotEquals(0, (int) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS), "owned by the container's root");
      try (Stream<Path> inside = Files.list(dir)) {
        assertEquals(List.of("sv.sock"), inside.map(p -> p.getFileName().toString()).toList());
      }
    }
  }

  private static List<Path> channelDirs(Path sandboxes) throws IOException {
    try (Stream<Path> dirs = Files.list(sandboxes)) {
      return dirs.filter(p -> p.getFileName().toString().startsWith("runner-" + config.sandboxLabel() + "-")).toList();
    }
  }

  @Test
  void aSecondNodeOnTheSameHostLeavesTheFirstNodesSandboxesAlone() {
    RunnerConfig first = TestEnvironment.nodeWithDefaultLabel(1), second = TestEnvironment.nodeWithDefaultLabel(1);
    assertNotEquals(first.sandboxLabel(), second.sandboxLabel());
    try (TestNode a = TestNode.start(first)) {
      String code = "import socket\nprint(socket.gethostname())";
      JsonArray one = new JsonArray().add(test("t", "", ""));
      String before = run(a.client, "python", code, one, new JsonArray()).getJsonObject("execution").getString("stdout");
      PodmanClient podman = new PodmanClient(a.vertx, first.podmanSocket());
      List<String> sandboxesOfA = podman.listByLabel(SandboxSpec.LABEL, first.sandboxLabel()).await();
      try (TestNode b = TestNode.start(second)) { // removes the leftovers of its own label only
        assertEquals(sandboxesOfA, podman.listByLabel(SandboxSpec.LABEL, first.sandboxLabel()).await());
        String after = run(a.client, "python", code, one, new JsonArray()).getJsonObject("execution").getString("stdout");
        assertEquals(before, after, "the first node's sandbox survived and served again");
      }
    }
  }

  @Test
  void clientsThatLeaveAtOnceDoNotStarveTheNextJob() throws Exception {
    try (TestNode n = TestNode.start(TestEnvironment.node(1, Map.of("RUNNER_ACQUIRE_TIMEOUT_S", "20")))) {
      RunnerConfig small = n.config;
      WebClient c = n.client;
      assertEquals(200, c.post("/run").sendJsonObject(job("print('warm')")).await().statusCode());
      // 20 nine-second jobs whose clients vanish once the node holds them: run one after another
      // they would take 180 s.
      byte[] body = job("import time\ntime.sleep(9)\nprint('slow')").put("timeout_seconds", 10).toBuffer().getBytes();
      String head = "POST /run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n";
      List<Socket> clients = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        Socket s = new Socket("127.0.0.1", small.httpPort());
        OutputStream out = s.getOutputStream();
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
        clients.add(s);
      }
      for (int i = 0; i < 50 && pendingJobs(c) < 20; i++) Thread.sleep(100);
      assertEquals(20, pendingJobs(c), "all 20 jobs were accepted before their clients left");
      for (Socket s : clients) s.close();
      // Behind 180 s of abandoned work it would get 503 after the 20 s acquire timeout.
      HttpResponse<Buffer> r = c.post("/run").sendJsonObject(job("print('expected')")).await();
      assertEquals(200, r.statusCode(), r.bodyAsString());
      assertEquals(1, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"));
    }
  }

  private static int pendingJobs(WebClient c) {
    return c.get("/health").send().await().bodyAsJsonObject().getInteger("pending_jobs", 0);
  }

  private static JsonObject job(String code) {
    return new JsonObject().put("language", "python").put("code", code)
        .put("tests", new JsonObject().put("visible", new JsonArray().add(test("t", "", "expected"))));
  }
}
