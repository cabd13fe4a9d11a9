package dev.databaseunit.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** crds/ and the chart's copy must be exactly what the build generates from the API classes (scripts/generate-crds.sh). */
class CrdsUpToDateTest {
  private static final Path GENERATED = Path.of("target", "generated-crds");
  private static final String FIX = " is stale: run scripts/generate-crds.sh and commit the result";

  @ParameterizedTest
  @ValueSource(strings = {"crds", "helm/databaseunit-operator/files/crds"})
  void committedCrdsMatchTheApiClasses(String committed) throws IOException {
    Path dir = Path.of(committed);
    assertThat(fileNames(dir)).as(committed + FIX).isEqualTo(fileNames(GENERATED)).isNotEmpty();
    for (String name : fileNames(GENERATED)) {
      assertThat(Files.readString(dir.resolve(name))).as(committed + FIX + " (" + name + " differs)")
          .isEqualTo(Files.readString(GENERATED.resolve(name)));
    }
  }

  private static java.util.List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yml")).sorted().toList();
    }
  }
}
