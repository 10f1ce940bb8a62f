package dev.runner.contest;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import dev.runner.cache.CacheSettings;
import dev.runner.cache.ClusterCache;
import dev.runner.cache.ContentCache;
import dev.runner.cluster.Cluster;
import dev.runner.config.RunnerConfig;
import dev.runner.metrics.RunnerMetrics;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Not a test: `./runner bench`. The contest API on real nodes, each figure beside its baseline in the
 * same run: (a) a compile-cache hit against a cold compile of the same size of program; (b) /run/ of
 * a C++ token on 100 cached cases, per case, against the same program compiled by the host's g++ and
 * run bare 100 times; (c) POST /input/ of a 50 MB set, MB/s, against reading it from the page cache;
 * (d) a node fetching a 50 MB set from another node's cache, against the same.
 */
class ContestBenchmark {
  private static final String SUM = ContestApiTest.SUM;

  @Test
  void contest() throws Exception {
    int[] ports = {TestEnvironment.freePort(), TestEnvironment.freePort(), TestEnvironment.freePort()};
    Map<String, String> env = Map.of("RUNNER_CLUSTER_NAME", TestEnvironment.label("runner-bench-contest"),
        "RUNNER_IMAGES", "cpp17=" + TestEnvironment.image("cpp17"),
        "RUNNER_CLUSTER_MEMBERS", "127.0.0.1:" + ports[0] + ",127.0.0.1:" + ports[1] + ",127.0.0.1:" + ports[2]);
    try (TestNode a = TestNode.start(member(env, ports[0], 2)); TestNode b = TestNode.start(member(env, ports[1], 2))) {
      System.out.printf("%n%-60s %9s %9s %9s%n", "measure (ms unless stated)", "mean", "p50", "p99");

      // (a) cold compiles (each program new to the cluster) against hits of the same programs
      String full = "#include <bits/stdc++.h>\nusing namespace std;\nint main(){long a,b; cin>>a>>b; cout<<a+b<<endl;}";
      for (int i = 0; i < 3; i++) ContestApiTest.compile(a, "cpp17", new JsonObject().put("main.cpp", SUM + "\n// warm " + UUID.randomUUID()));
      double[] coldSmall = new double[10], coldFull = new double[5], hit = new double[50];
      List<JsonObject> compiled = new java.util.ArrayList<>();
      String token = null;
      for (int i = 0; i < coldSmall.length + coldFull.length; i++) {
        boolean small = i < coldSmall.length;
        JsonObject files = new JsonObject().put("main.cpp", (small ? SUM : full) + "\n// " + UUID.randomUUID());
        long t0 = System.nanoTime();
        String t = ContestApiTest.compile(a, "cpp17", files);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (small) {
          coldSmall[i] = ms;
          token = t;
        } else {
          coldFull[i - coldSmall.length] = ms;
        }
        compiled.add(files);
      }
      for (int i = 0; i < hit.length; i++) {
        JsonObject req = new JsonObject().put("lang", "cpp17").put("code", compiled.get(i % compiled.size()));
        long t0 = System.nanoTime();
        JsonObject again = ContestApiTest.ok(ContestApiTest.post(a, "/compile/", req), 200);
        hit[i] = (System.nanoTime() - t0) / 1e6;
        if (!again.getBoolean("cached")) throw new IllegalStateException(again.encode());
      }
      double[] http = new double[50], describe = new double[50];
      String described = ContestApiTest.input(a, "1");
      for (int i = 0; i < http.length; i++) {
        long t0 = System.nanoTime();
        a.client.get("/languages").send().await();
        long t1 = System.nanoTime();
        a.client.get("/input/" + described).send().await();
        http[i] = (t1 - t0) / 1e6;
        describe[i] = (System.nanoTime() - t1) / 1e6;
      }
      row("(a) POST /compile/, new C++ program with <cstdio> (cold)", coldSmall);
      row("(a) POST /compile/, new C++ program with <bits/stdc++.h> (cold)", coldFull);
      row("(a) POST /compile/ of a program compiled before (cache hit)", hit);
      row("(a) GET /languages, the HTTP round trip alone", http);
      row("(a) GET /input/{hash}, one look-up in the index", describe);
      System.out.printf("%-60s %9.0fx %9.0fx%n", "(a) cold / hit, p50: <cstdio>, <bits/stdc++.h>", median(coldSmall) / median(hit),
          median(coldFull) / median(hit));

      // (b) a token on 100 cached cases, per case, against 100 bare runs of the host-compiled program
      String[] inputs = new String[100];
      for (int i = 0; i < 100; i++) inputs[i] = i + " " + (2 * i);
      String hash = ContestApiTest.input(a, inputs);
      Path dir = Files.createTempDirectory("bench-cpp");
      Files.writeString(dir.resolve("main.cpp"), SUM);
      host(List.of("g++", "-std=c++17", "-O2", "-pipe", "-o", dir.resolve("main").toString(), dir.resolve("main.cpp").toString()), "");
      List<String> bare = List.of(dir.resolve("main").toString());
      for (int i = 0; i < 3; i++) ContestApiTest.run(a, token, hash, new JsonObject()); // warm the pools and the page cache
      double[] perCase = new double[5], barePer = new double[5];
      for (int r = 0; r < 5; r++) {
        long t0 = System.nanoTime();
        JsonArray results = ContestApiTest.run(a, token, hash, new JsonObject());
        long t1 = System.nanoTime();
        for (int i = 0; i < 100; i++) host(bare, inputs[i]);
        long t2 = System.nanoTime();
        if (results.size() != 100 || !results.stream().allMatch(o -> ((JsonObject) o).getString("status").equals("OK"))) {
          throw new IllegalStateException(results.encode());
        }
        perCase[r] = (t1 - t0) / 1e6 / 100;
        barePer[r] = (t2 - t1) / 1e6 / 100;
      }
      row("(b) POST /run/ of a C++ token on 100 cached cases, per case", perCase);
      row("(b) the same program (host g++) run bare, per run", barePer);

      // (c) a 50 MB input set (50 cases of 1 MB) uploaded (stored on A and copied to B before the answer)
      String mb = "7".repeat(1 << 20);
      Path bigFile = dir.resolve("big");
      Files.writeString(bigFile, mb.repeat(50));
      double[] read = new double[3], upload = new double[3];
      List<String> bigHashes = new java.util.ArrayList<>();
      for (int r = 0; r < 3; r++) {
        long t0 = System.nanoTime();
        Files.readAllBytes(bigFile);
        long t1 = System.nanoTime();
        String bigHash = "bench-big-" + UUID.randomUUID();
        bigHashes.add(bigHash);
        JsonArray bigCases = new JsonArray(); // each set its own bytes: a node keeps one file of equal sets
        for (int i = 0; i < 50; i++) bigCases.add(new JsonObject().put("name", String.valueOf(i)).put("input", r + mb.substring(1)));
        JsonObject set = new JsonObject().put("hash", bigHash).put("cases", bigCases);
        HttpResponse<Buffer> res = a.client.post("/input/").sendJsonObject(set).await();
        long t2 = System.nanoTime();
        if (res.statusCode() != 201) throw new IllegalStateException(res.bodyAsString());
        read[r] = 50 / ((t1 - t0) / 1e9);
        upload[r] = 50 / ((t2 - t1) / 1e9);
      }
      row("(c) POST /input/ of 50 × 1 MB (stored on 2 nodes), MB/s", upload);
      row("(c) reading the 50 MB from the page cache, MB/s", read);

      // (d) a third member, joined after the upload, fetches the set from a node that holds it
      RunnerConfig cConfig = member(env, ports[2], 1);
      Cluster.Member c = Cluster.start(cConfig, new RunnerMetrics(cConfig)).await();
      ClusterCache cache = new ClusterCache(c.vertx(), c.manager(), CacheSettings.of(cConfig), cConfig.trust(), new RunnerMetrics(cConfig));
      try {
        cache.start().await();
        double[] fetch = new double[bigHashes.size()];
        for (int i = 0; i < fetch.length; i++) {
          long t0 = System.nanoTime();
          ContentCache.Pinned pin = cache.open(ContentCache.Kind.INPUT, bigHashes.get(i)).await();
          fetch[i] = 50 / ((System.nanoTime() - t0) / 1e9);
          pin.release();
        }
        row("(d) a 50 MB set fetched from another node and verified, MB/s", fetch);
      } finally {
        cache.close().await();
        c.vertx().close().await();
      }
    }
  }

  private static RunnerConfig member(Map<String, String> env, int port, int pool) {
    Map<String, String> own = new HashMap<>(env);
    own.put("RUNNER_CLUSTER_PORT", String.valueOf(port));
    return TestEnvironment.node(pool, own);
  }

  private static String host(List<String> argv, String stdin) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IllegalStateException(argv + " failed: " + out);
    return out;
  }

  private static double median(double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static void row(String name, double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    double mean = Arrays.stream(v).average().orElse(0);
    System.out.printf("%-60s %9.2f %9.2f %9.2f%n", name, mean, s[s.length / 2], s[Math.max(0, (int) Math.ceil(s.length * 0.99) - 1)]);
  }
}
