package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;

public record PostgresTls(
    @Default("verify-full") @JsonPropertyDescription("libpq sslmode; verify-full is recommended for anything but a local test.")
        Mode mode,
    @JsonPropertyDescription("CA bundle that signed the server certificate; the operator's default trust store when empty.") SecretKeyRef caSecret) {

  public enum Mode {
    @JsonProperty("disable") DISABLE,
    @JsonProperty("require") REQUIRE,
    @JsonProperty("verify-ca") VERIFY_CA,
    @JsonProperty("verify-full") VERIFY_FULL;

    /** The value libpq and pgjdbc take for sslmode. */
    public String libpqName() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }
}
