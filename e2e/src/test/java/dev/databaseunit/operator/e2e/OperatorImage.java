package dev.databaseunit.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * The operator image, built from the repository's Dockerfile by scripts/build-image.sh. A build that fails
 * because the base image or the Debian packages cannot be fetched aborts the test (reported as skipped, with
 * the reason); any other failure is a failure of the test.
 */
final class OperatorImage {
  /** What Docker, apt and Maven print when a registry or mirror is out of reach. */
  private static final Pattern NO_REGISTRY = Pattern.compile(
      "pull access denied|failed to resolve source metadata|failed to fetch|failed to do request|"
          + "temporary failure resolving|could not resolve|no such host|i/o timeout|tls handshake timeout|"
          + "connection refused|network is unreachable|unable to fetch some archives|could not transfer artifact");

  private OperatorImage() {}

  /** @return the image name, present in the local Docker engine */
  static String build(String image) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", "scripts/build-image.sh"));
    if (operatorJarIsPackaged()) {
      // Inside `mvn verify` the jar exists already; a nested package would rewrite it under the running tests.
      command.add("--no-package");
    }
    command.add(image);
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.MINUTES)).as("image build finished").isTrue();
    if (process.exitValue() != 0) {
      var registryProblem = output.lines().filter(l -> NO_REGISTRY.matcher(l.toLowerCase(Locale.ROOT)).find()).findFirst();
      Assumptions.assumeTrue(registryProblem.isEmpty(),
          () -> "Skipped: the operator image cannot be built without registry access: " + registryProblem.orElseThrow().strip());
      throw new AssertionError("scripts/build-image.sh failed:\n" + output);
    }
    return image;
  }

  private static boolean operatorJarIsPackaged() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files.anyMatch(p -> p.getFileName().toString().matches("databaseunit-operator-.*\\.jar"));
    }
  }
}
