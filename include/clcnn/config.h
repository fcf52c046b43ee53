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

/* Parses a YAML file over the defaults into *spec (which is overwritten). */
clcnn_status clcnn_config_load_file(const char *path, clcnn_spec *spec);

/* Same from a string; name is used in error messages in place of the file name. */
clcnn_status clcnn_config_load_string(const char *yaml, const char *name, clcnn_spec *spec);

/* Applies "key.path=value", the value typed as the schema says ("train.epochs=3",
 * "model.layers.0.kernel_size=5", "train.optimizer.name=sgd"). The key need not be in the file.
 * A value may be YAML flow syntax where the key wants a list ("model.layers.0.kernel_size=[3,5]"). */
clcnn_status clcnn_config_set(clcnn_spec *spec, const char *assignment);

/* Writes the spec as a complete YAML document that clcnn_config_load_string reads back to an
 * equal spec. Hyperparameters are written as their declarations when the spec still has a
 * search space (include_tune = 1), or omitted (include_tune = 0: a concrete config).
 * The result is malloc'ed and NUL-terminated; the caller frees it. */
clcnn_status clcnn_config_emit(const clcnn_spec *spec, int include_tune, char **yaml);

/* Sets each hyperparameter's target keys to values[i] (see clcnn/oracle.h for how a value is
 * encoded); inactive values (NAN) are skipped. Used to resolve a search spec into a trial spec. */
clcnn_status clcnn_spec_apply_hparams(clcnn_spec *spec, const double *values);

/* Checks a spec's values (positive sizes, known optimizer and loss names, 0 <= split < 1...).
 * Layer shapes are checked later by the model. */
clcnn_status clcnn_spec_validate(const clcnn_spec *spec);

/* The embedded default configs by name ("fashion_mnist", "fashion_mnist_tune", ...): the files in
 * configs/ at build time. Returns NULL for an unknown name. Static storage. */
const char *clcnn_config_embedded(const char *name);

#ifdef __cplusplus
}
#endif
#endif
