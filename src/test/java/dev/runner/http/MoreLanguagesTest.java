package dev.runner.http;

import static dev.runner.TestNode.test;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The other languages through the API of a real node, each with the same programs: A+B (OK and WA),
 * a compile or syntax error, a non-zero exit, an endless loop and a 200 MB allocation under 64 MB.
 */
class MoreLanguagesTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /** language, A+B, a compile error, exit 3, an endless loop, 200 MB, a sleep, a crash. */
  static Stream<Arguments> languages() {
    return Stream.of(
        Arguments.of("rb", "a, b = gets.split.map(&:to_i)\nputs a + b\n", "def f(\nend end\n", "exit 3\n", "loop { }\n",
            "s = 'x' * (200 * 1024 * 1024)\nputs s.size\n",
            "sleep 10\n", "Process.kill('SEGV', $$)\n"),
        Arguments.of("lua", "local a, b = io.read('n', 'n')\nprint(a + b)\n", "local x = = 1\n", "os.exit(3)\n",
            "while true do end\n", "local t = {}\nfor i = 1, 100000000 do t[i] = i end\nprint(#t)\n",
            "os.execute('sleep 10')\n", "os.execute('kill -SEGV $PPID')\n"),
        Arguments.of("go", "package main\nimport \"fmt\"\nfunc main() { var a, b int64; fmt.Scan(&a, &b); fmt.Println(a + b) }\n",
            "package main\nfunc main() { x := 1 }\n", "package main\nimport \"os\"\nfunc main() { os.Exit(3) }\n",
            "package main\nfunc main() { for {} }\n",
            "package main\nimport \"fmt\"\nfunc main() { b := make([]byte, 200<<20); for i := range b { b[i] = 1 }; fmt.Println(len(b)) }\n",
            "package main\nimport \"time\"\nfunc main() { time.Sleep(10 * time.Second) }\n", "package main\nfunc main() { var p *int; *p = 1 }\n"),
        Arguments.of("rust", "use std::io::Read;\nfn main() { let mut s = String::new(); std::io::stdin().read_to_string(&mut s).unwrap();\n"
                + " let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect(); println!(\"{}\", v[0] + v[1]); }\n",
            "fn main() { let x: i32 = \"s\"; }\n", "fn main() { std::process::exit(3); }\n", "fn main() { loop {} }\n",
            "fn main() { let v = vec![1u8; 200 << 20]; println!(\"{}\", v.iter().map(|&x| x as u64).sum::<u64>()); }\n",
            "fn main() { std::thread::sleep(std::time::Duration::from_secs(10)); }\n", "fn main() { std::process::abort(); }\n"),
        Arguments.of("pas", "var a, b: int64;\nbegin\n  readln(a, b);\n  writeln(a + b);\nend.\n", "begin\n  x := ;\nend.\n",
            "begin\n  halt(3);\nend.\n", "begin\n  while true do ;\nend.\n",
            "var a: array of byte; i: longint;\nbegin\n  SetLength(a, 200 * 1024 * 1024);\n  for i := 0 to high(a) do a[i] := 1;\n"
                + "  writeln(a[5]);\nend.\n",
            "uses sysutils;\nbegin\n  sleep(10000);\nend.\n", "var p: ^longint;\nbegin\n  p := nil;\n  p^ := 1;\nend.\n"),
        Arguments.of("cs", "using System;\nclass P { static void Main() { var s = Console.ReadLine().Split(' ');\n"
                + " Console.WriteLine(long.Parse(s[0]) + long.Parse(s[1])); } }\n",
            "class P { static void Main() { int x = \"s\"; } }\n", "class P { static int Main() { return 3; } }\n",
            "class P { static void Main() { while (true) {} } }\n",
            "class P { static void Main() { var b = new byte[200 << 20]; for (int i = 0; i < b.Length; i++) b[i] = 1;\n"
                + " System.Console.WriteLine(b[5]); } }\n",
            "class P { static void Main() { System.Threading.Thread.Sleep(10000); } }\n", "class P { static void Main() { object o = null; System.Console.WriteLine(o.ToString()); } }\n"),
        Arguments.of("pypy3", "a, b = map(int, input().split())\nprint(a + b)\n", "def f(:\n  pass\n", "import sys\nsys.exit(3)\n",
            "while True: pass\n", "x = b'x' * (200 * 1024 * 1024)\nprint(len(x))\n",
            "import time\ntime.sleep(10)\n", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"),
        // Python 2: the print statement is its syntax, a syntax error in Python 3
        Arguments.of("py2", "a, b = map(int, raw_input().split())\nprint a + b\n", "print 'x' +\n", "import sys\nsys.exit(3)\n",
            "while True: pass\n", "x = 'x' * (200 * 1024 * 1024)\nprint len(x)\n",
            "import time\ntime.sleep(10)\n", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"),
        Arguments.of("hs", "main = do\n  [a, b] <- map read . words <$> getLine\n  print (a + b :: Integer)\n",
            "main = putStrLn (1 :: Int)\n", "import System.Exit\nmain = exitWith (ExitFailure 3)\n", "loop :: Int -> Int\nloop n = n `seq` loop (n + 1)\nmain = print (loop 0)\n",
            "main = do\n  let xs = [1 .. 20000000] :: [Int]\n  print (length xs)\n  print (sum xs)\n",
            "import Control.Concurrent\nmain = threadDelay 10000000\n", "import System.Posix.Signals\nmain = raiseSignal sigSEGV\n"));
  }

  private static JsonObject run(String language, String code, JsonObject extra, JsonObject... tests) {
    return node.run(language, code, extra, tests);
  }

  private static String verdict(JsonObject response, int i) {
    return response.getJsonObject("test_results").getJsonArray("visible").getJsonObject(i).getString("verdict");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("languages")
  void everyVerdict(String language, String sum, String broken, String exit3, String spin, String hog, String sleep,
                    String crash) {
    JsonObject r = run(language, sum, new JsonObject(), test("1 2", "3"), test("40 2", "42"), test("2 2", "5"));
    assertEquals("OK", verdict(r, 0), r.encode());
    assertEquals("OK", verdict(r, 1), r.encode());
    assertEquals("WA", verdict(r, 2), r.encode());
    JsonObject ce = run(language, broken, new JsonObject(), test("", ""));
    assertEquals("CE", verdict(ce, 0), ce.encode());
    JsonObject rte = run(language, exit3, new JsonObject(), test("", ""));
    assertEquals("RTE", verdict(rte, 0), rte.encode());
    JsonObject tle = run(language, spin, new JsonObject().put("timeout_seconds", 1), test("", ""));
    assertEquals("TLE", verdict(tle, 0), tle.encode());
    JsonObject mle = run(language, hog, new JsonObject().put("memory_limit_mb", 64), test("", ""));
    assertEquals("MLE", verdict(mle, 0), mle.encode());
    JsonObject slept = run(language, sleep, new JsonObject().put("timeout_seconds", 1), test("", ""));
    assertEquals("TLE", verdict(slept, 0), slept.encode());
    JsonObject crashed = run(language, crash, new JsonObject(), test("", ""));
    assertEquals("RTE", verdict(crashed, 0), crashed.encode());
  }

  @Test
  void aCSharpSourceWithAByteOrderMarkCompiles() {
    String sum = "\uFEFFusing System;\nclass P { static void Main() { var s = Console.ReadLine().Split(' ');\n"
        + " Console.WriteLine(long.Parse(s[0]) + long.Parse(s[1])); } }\n";
    JsonObject r = run("cs", sum, new JsonObject(), test("1 2", "3"));
    assertEquals("OK", verdict(r, 0), r.encode());
  }
}
