package dev.databaseunit.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Required;

/** A Secret holding a user name and a password, for a database, a pooler admin console or a cache. */
public record CredentialsRef(
    @Required @Pattern(ApiPatterns.K8S_NAME) @Size(max = 253) @JsonPropertyDescription("Name of the Secret in the resource's namespace.")
        String secretName,
    @Default("username") @Pattern("^[-._a-zA-Z0-9]+$") @JsonPropertyDescription("Key holding the user name.")
        String usernameKey,
    @Default("password") @Pattern("^[-._a-zA-Z0-9]+$") @JsonPropertyDescription("Key holding the password.")
        String passwordKey) {}
