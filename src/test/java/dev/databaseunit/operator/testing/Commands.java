package dev.databaseunit.operator.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
    Result result = exec(command, stdin, timeout);
    assertThat(result.exitCode()).as("%s failed:%n%s", String.join(" ", command), result.output()).isZero();
    return result.output();
  }

  /** How a command ended: its exit code and its stdout and stderr, interleaved as it wrote them. */
  public record Result(int exitCode, String output) {}

  /** Runs the command with {@code stdin} as its input and returns how it ended, whatever its exit code. */
  public static Result exec(List<String> command, String stdin, Duration timeout) throws Exception {
    return exec(command, Map.of(), stdin, timeout);
  }

  /** As {@link #exec(List, String, Duration)}, with these variables added to the environment. */
  public static Result exec(List<String> command, Map<String, String> environment, String stdin, Duration timeout)
      throws Exception {
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    var process = builder.start();
    if (stdin != null) {
      process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Result(process.exitValue(), output);
  }

  public static String run(List<String> command) throws Exception {
    return run(command, null);
  }
}
