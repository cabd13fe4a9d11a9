package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class HnswParametersTest {

  @Test
  void reloptionsAreReadAndMissingOnesArePgvectorsDefaults() {
    assertThat(HnswParameters.fromCatalog("e", "vector_l2_ops", List.of("m=8", "ef_construction=40")))
        .isEqualTo(new HnswParameters("e", "vector_l2_ops", 8, 40));
    assertThat(HnswParameters.fromCatalog("e", "vector_l2_ops", List.of("ef_construction=200")))
        .isEqualTo(new HnswParameters("e", "vector_l2_ops", 16, 200));
    assertThat(HnswParameters.fromCatalog("e", "vector_l2_ops", null))
        .isEqualTo(new HnswParameters("e", "vector_l2_ops", 16, 64));
  }

  @Test
  void specDefaultsMatchAnIndexBuiltWithoutOptions() {
    var spec = new VectorIndexSpec("idx", "recipe_embeddings", "embedding", 1536, null, null, null, null, null, null, null, null, null);
    assertThat(HnswParameters.of(spec)).isEqualTo(HnswParameters.fromCatalog("embedding", "vector_cosine_ops", List.of()));
  }

  @Test
  void eachDistanceHasItsOperatorClassAndOperator() {
    assertThat(HnswParameters.opclassOf(VectorIndexSpec.Opclass.COSINE)).isEqualTo("vector_cosine_ops");
    assertThat(HnswParameters.opclassOf(VectorIndexSpec.Opclass.L2)).isEqualTo("vector_l2_ops");
    assertThat(HnswParameters.opclassOf(VectorIndexSpec.Opclass.IP)).isEqualTo("vector_ip_ops");
    assertThat(new HnswParameters("e", "vector_cosine_ops", 16, 64).distanceOperator()).isEqualTo("<=>");
    assertThat(new HnswParameters("e", "vector_l2_ops", 16, 64).distanceOperator()).isEqualTo("<->");
    assertThat(new HnswParameters("e", "vector_ip_ops", 16, 64).distanceOperator()).isEqualTo("<#>");
    assertThatThrownBy(() -> new HnswParameters("e", "halfvec_l2_ops", 16, 64).distanceOperator())
        .isInstanceOf(IllegalStateException.class);
  }
}
