package dev.databaseunit.operator.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every field of every CRD has a description (what `kubectl explain` shows), and every kind has at least four
 * printer columns including Ready, so `kubectl get` makes sense at a glance.
 */
class CrdSchemaDocumentationTest {

  static Stream<Path> crds() throws Exception {
    return Files.list(Path.of("crds")).filter(p -> p.toString().endsWith(".yml")).sorted();
  }

  @ParameterizedTest
  @MethodSource("crds")
  void everyFieldIsDescribed(Path file) throws Exception {
    var crd = new KubernetesSerialization().unmarshal(Files.readString(file), CustomResourceDefinition.class);
    List<String> undescribed = new ArrayList<>();
    walk(crd.getSpec().getVersions().getFirst().getSchema().getOpenAPIV3Schema(), "", undescribed);
    assertThat(undescribed).as("fields without a description in %s", file).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("crds")
  void printerColumnsShowReadinessAtAGlance(Path file) throws Exception {
    var crd = new KubernetesSerialization().unmarshal(Files.readString(file), CustomResourceDefinition.class);
    var columns = crd.getSpec().getVersions().getFirst().getAdditionalPrinterColumns();
    assertThat(columns).as(file.toString()).hasSizeGreaterThanOrEqualTo(4);
    assertThat(columns).as(file.toString()).anyMatch(c -> c.getJsonPath().contains("Ready"));
  }

  private static void walk(JSONSchemaProps schema, String path, List<String> undescribed) {
    if (schema.getProperties() != null) {
      schema.getProperties().forEach((name, child) -> {
        String childPath = path + "." + name;
        if (child.getDescription() == null || child.getDescription().isBlank()) {
          undescribed.add(childPath);
        }
        walk(child, childPath, undescribed);
      });
    }
    if (schema.getItems() != null && schema.getItems().getSchema() != null) {
      walk(schema.getItems().getSchema(), path + "[]", undescribed);
    }
    if (schema.getAdditionalProperties() != null && schema.getAdditionalProperties().getSchema() != null) {
      walk(schema.getAdditionalProperties().getSchema(), path + "{}", undescribed);
    }
  }
}
