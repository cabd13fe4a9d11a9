package dev.databaseunit.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a command-line tool the tests check against (helm, kubectl, promtool, lua) and returns its output. */
public final class Commands {
  private Commands() {}

  /** Runs the command with {@code stdin} as its input, asserts it exits 0, and returns stdout and stderr. */
  public static String run(List<String> command, String stdin) throws Exception {
    return run(command, stdin, Duration.ofSeconds(120));
  }

  /** As {@link #run(List, String)}, for commands that wait longer (helm install --wait, image builds). */
  public static String run(List<String> command, String stdin, Duration timeout) throws Exception {
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    assertThat(process.exitValue()).as("%s failed:%n%s", String.join(" ", command), output).isZero();
    return output;
  }

  public static String run(List<String> command) throws Exception {
    return run(command, null);
  }
}
