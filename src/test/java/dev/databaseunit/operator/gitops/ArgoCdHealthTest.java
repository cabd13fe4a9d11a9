package dev.databaseunit.operator.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.testing.Commands;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs argocd/health.lua on the fixtures of argocd/health_test.yaml with a real Lua interpreter (lua5.4 from
 * scripts/install-deps.sh; the script sticks to what Argo CD's Lua 5.1 runtime also has).
 */
class ArgoCdHealthTest {
  private static final Path DIR = Path.of("argocd");
  private static final KubernetesSerialization YAML = new KubernetesSerialization();

  static Stream<Arguments> fixtures() throws IOException {
    Map<String, Object> tests = YAML.unmarshal(Files.readString(DIR.resolve("health_test.yaml")), Map.class);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> cases = (List<Map<String, Object>>) tests.get("tests");
    return cases.stream().map(c -> {
      @SuppressWarnings("unchecked")
      var expected = (Map<String, String>) c.get("healthStatus");
      return Arguments.of(c.get("inputPath"), expected.get("status"), expected.get("message"));
    });
  }

  @ParameterizedTest(name = "{0} is {1}")
  @MethodSource("fixtures")
  void fixtureHasTheExpectedHealth(String inputPath, String status, String message) throws Exception {
    Map<?, ?> object = YAML.unmarshal(Files.readString(DIR.resolve(inputPath)), Map.class);
    String program = "obj = " + luaLiteral(object) + "\n"
        + "local hs = (function()\n" + Files.readString(DIR.resolve("health.lua")) + "\nend)()\n"
        + "io.write(hs.status, \"\\n\", hs.message)\n";
    assertThat(runLua(program)).isEqualTo(status + "\n" + message);
  }

  @Test
  void everyFixtureFileIsCovered() throws IOException {
    String tests = Files.readString(DIR.resolve("health_test.yaml"));
    try (Stream<Path> files = Files.list(DIR.resolve("testdata"))) {
      assertThat(files.map(f -> "testdata/" + f.getFileName())).allMatch(tests::contains);
    }
  }

  @Test
  void theArgoCdConfigMapPatchEmbedsTheScriptForEveryKind() throws IOException {
    Map<?, ?> patch = YAML.unmarshal(Files.readString(DIR.resolve("argocd-cm-patch.yaml")), Map.class);
    String script = Files.readString(DIR.resolve("health.lua"));
    Map<?, ?> data = (Map<?, ?>) patch.get("data");
    for (String kind : List.of("DatabaseUnit", "BackupPolicy", "MaintenanceWindow", "GdprRequest")) {
      assertThat(data.get("resource.customizations.health.databaseunit.dev_" + kind)).as(kind).isEqualTo(script);
    }
  }

  /** A Lua table constructor for a YAML value; strings are escaped byte by byte, so no fixture can break out. */
  private static String luaLiteral(Object value) {
    if (value == null) {
      return "nil";
    }
    if (value instanceof Map<?, ?> map) {
      var out = new StringBuilder("{");
      map.forEach((k, v) -> out.append('[').append(luaLiteral(k.toString())).append("]=").append(luaLiteral(v)).append(','));
      return out.append('}').toString();
    }
    if (value instanceof List<?> list) {
      var out = new StringBuilder("{");
      list.forEach(v -> out.append(luaLiteral(v)).append(','));
      return out.append('}').toString();
    }
    if (value instanceof Number || value instanceof Boolean) {
      return value.toString();
    }
    var out = new StringBuilder("\"");
    for (byte b : value.toString().getBytes(StandardCharsets.UTF_8)) {
      out.append('\\').append(b & 0xff);
    }
    return out.append('"').toString();
  }

  private static String runLua(String program) throws Exception {
    return Commands.run(List.of("lua5.4", "-"), program);
  }
}
