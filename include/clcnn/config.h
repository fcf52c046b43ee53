/* clcnn/config.h: YAML configs to specs and back. The only part of clcnn that knows YAML.
 *
 * Errors name the file, line and column ("configs/x.yaml:12:7: unknown key 'filtrs' in conv2d
 * layer"). Key paths address any key of the schema: "train.epochs", "data.train_limit",
 * "train.optimizer.learning_rate", "model.layers.0.filters" (list items by index). */
#ifndef CLCNN_CONFIG_H
#define CLCNN_CONFIG_H

#include "clcnn/spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A config holds a spec and, when it declares hyperparameters (`{hp: int, ...}` in place of a
 * value, or tune.hyperparameters), a search space. Every call below that takes a
 * clcnn_search_space *space accepts NULL where the caller has no use for one: declarations are
 * then still checked (a bad one is the same error), and dropped. The caller owns both structs;
 * none of these calls keeps a pointer. */

/* Parses a YAML file over the defaults into *spec and its declarations into *space (both are
 * overwritten, and left as they were on failure). */
CLCNN_API clcnn_status clcnn_config_load_file(const char *path, clcnn_spec *spec, clcnn_search_space *space);

/* Same from a string; name is used in error messages in place of the file name. */
CLCNN_API clcnn_status clcnn_config_load_string(const char *yaml, const char *name, clcnn_spec *spec,
                                                clcnn_search_space *space);

/* Applies "key.path=value", the value typed as the schema says ("train.epochs=3",
 * "model.layers.0.kernel_size=5", "train.optimizer.name=sgd"). The key need not be in the file.
 * A value may be YAML flow syntax where the key wants a list ("model.layers.0.kernel_size=[3,5]").
 * A set key is fixed: hyperparameters of space stop targeting it (and drop out when they target
 * nothing else and no other depends on them); a declaration as the value joins space. A failed
 * set changes neither. */
CLCNN_API clcnn_status clcnn_config_set(clcnn_spec *spec, clcnn_search_space *space, const char *assignment);

/* Writes the spec as a complete YAML document that clcnn_config_load_string reads back to an
 * equal spec (and space). With a space, its hyperparameters are written as tune.hyperparameters
 * declarations (a search config); with NULL, they are left out (a concrete config).
 * The result is malloc'ed and NUL-terminated; the caller frees it. */
CLCNN_API clcnn_status clcnn_config_emit(const clcnn_spec *spec, const clcnn_search_space *space,
                                         char **yaml);

/* Sets the target keys of each hyperparameter of space to values[i] (see clcnn/hparam.h for how
 * a value is encoded); inactive values (NAN) are skipped. Resolves a search config into a
 * trial's concrete spec. An illegal value is an error and leaves spec as it was. */
CLCNN_API clcnn_status clcnn_spec_apply_hparams(clcnn_spec *spec, const clcnn_search_space *space,
                                                const double *values);

/* Checks a spec's values (positive sizes, known optimizer and loss names, 0 <= split < 1...).
 * Layer shapes are checked later by the model. */
CLCNN_API clcnn_status clcnn_spec_validate(const clcnn_spec *spec);

/* Checks a search space as the loader does: each definition (clcnn_hparam_check), unique names,
 * parents declared earlier with legal parent values, and every target a key of spec that accepts
 * every value the hyperparameter can take. */
CLCNN_API clcnn_status clcnn_search_space_validate(const clcnn_search_space *space, const clcnn_spec *spec);

/* The embedded default configs by name ("fashion_mnist", "fashion_mnist_tune", ...): the files in
 * configs/ at build time. Returns NULL for an unknown name. Static storage. */
CLCNN_API const char *clcnn_config_embedded(const char *name);

#ifdef __cplusplus
}
#endif
#endif
