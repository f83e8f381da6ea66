/**
 * description.md of each built-in tabular task, written in the style of its Kaggle competition page (overview,
 * evaluation, submission format, data) so that an agent prompted with it behaves as it would on the real one.
 */

export const TPS_MAY_DESCRIPTION = `# Tabular Playground Series - May 2022 (mini)

## Overview

This is a small, locally generated version of the May 2022 Tabular Playground competition. The data is
synthetic and shaped like the original: a binary manufacturing-control outcome that depends on **feature
interactions** rather than on any single column. Finding those interactions is the point of the exercise.

The file names, columns, id column and metric are the same as in the real competition, so a solution written
for this task runs unchanged on the full dataset.

## Evaluation

Submissions are evaluated on the **area under the ROC curve** between the predicted probability and the observed
target.

### Submission File

For each \`id\` in the test set, predict a probability for the \`target\` variable. The file must contain a header
and have the following format:

\`\`\`
id,target
3,0.5
17,0.5
25,0.5
etc.
\`\`\`

## Dataset Description

The data describes a simulated manufacturing control process. The goal is to predict whether the machine ends
in state \`1\` (\`target\`).

### Files

- **train.csv** - the training data: \`id\`, the features \`f_00\` … \`f_30\` and the binary \`target\`
- **test.csv** - the test set; predict \`target\` for each row
- **sample_submission.csv** - a sample submission file in the correct format

### Columns

- \`f_00\` … \`f_06\`, \`f_19\` … \`f_26\`, \`f_28\`: continuous features
- \`f_07\` … \`f_18\`: integer (count-like) features
- \`f_27\`: a string of 10 upper-case letters; its characters carry information
- \`f_29\`, \`f_30\`: categorical features (0/1 and 0/1/2)
- \`target\`: 0 or 1

Hint from the original competition: some features only matter in combination with others.
`;

export const TPS_DEC_DESCRIPTION = `# Tabular Playground Series - Dec 2021 (mini)

## Overview

A small, locally generated version of the December 2021 Tabular Playground competition. The data is synthetic,
in the spirit of the original Forest Cover Type dataset: predict the type of forest cover of a 30 m x 30 m patch
of land from cartographic variables (elevation, terrain, distances to water, roads and past fire points,
wilderness area and soil type).

The file names, columns, id column and metric are those of the real competition, so a solution written for this
task runs unchanged on the full dataset.

## Evaluation

Submissions are evaluated on multi-class classification **accuracy**.

### Submission File

For each \`Id\` in the test set, predict the \`Cover_Type\` class (an integer 1-7). The file must contain a header
and have the following format:

\`\`\`
Id,Cover_Type
4,2
11,2
18,2
etc.
\`\`\`

## Dataset Description

### Files

- **train.csv** - the training data with the target \`Cover_Type\` column
- **test.csv** - the test set; predict \`Cover_Type\` for each row
- **sample_submission.csv** - a sample submission file in the correct format

### Columns

- \`Elevation\` (m), \`Aspect\` (degrees azimuth), \`Slope\` (degrees)
- \`Horizontal_Distance_To_Hydrology\`, \`Vertical_Distance_To_Hydrology\` (m, to the nearest surface water)
- \`Horizontal_Distance_To_Roadways\`, \`Horizontal_Distance_To_Fire_Points\` (m)
- \`Hillshade_9am\`, \`Hillshade_Noon\`, \`Hillshade_3pm\` (0-255 index at the solstice)
- \`Wilderness_Area1\` … \`Wilderness_Area4\` (binary), \`Soil_Type1\` … \`Soil_Type40\` (binary)
- \`Cover_Type\`: 1 Spruce/Fir, 2 Lodgepole Pine, 3 Ponderosa Pine, 4 Cottonwood/Willow, 5 Aspen,
  6 Douglas-fir, 7 Krummholz

The classes are strongly imbalanced: a few cover types are rare.
`;

export const NOMAD_DESCRIPTION = `# Nomad2018 Predicting Transparent Conductors (mini)

## Overview

Transparent conductors combine electrical conductivity with transparency and are needed in solar cells, LEDs,
sensors and displays. Group-III sesquioxides, alloys \`(Al_x Ga_y In_z)_2 O_3\` with \`x + y + z = 1\`, are promising
candidates. Computing their properties with density-functional theory is expensive; the aim is to predict two
properties directly from the composition and the crystal lattice:

- the **formation energy** (an indication of stability), and
- the **band gap** energy (an indication of transparency).

This is a small, locally generated version of the competition: the data is synthetic, produced from
physically motivated relations (Vegard's law for the cell volume, composition bowing of the band gap,
mixing enthalpy and polymorph energies) with noise. The geometry.xyz files of the original are not included.
The file names, columns, id column and metric are those of the real competition.

## Evaluation

Submissions are evaluated on the column-wise **root mean squared logarithmic error** (RMSLE), averaged over the
two target columns:

RMSLE = sqrt( 1/n * sum_i (log(p_i + 1) - log(a_i + 1))^2 )

where p are the predictions and a the actual values. Predictions must be non-negative.

### Submission File

For each \`id\` in the test set, predict both target values. **Rows are compared in the order of test.csv**, so
keep that order. The file must contain a header and have the following format:

\`\`\`
id,formation_energy_ev_natom,bandgap_energy_ev
1,0.1779,1.8892
2,0.1779,1.8892
etc.
\`\`\`

## Dataset Description

### Files

- **train.csv** - the training set with both targets
- **test.csv** - the test set
- **sample_submission.csv** - a sample submission file in the correct format

### Columns

- \`spacegroup\`: a label identifying the symmetry of the structure (12, 33, 167, 194, 206 or 227)
- \`number_of_total_atoms\`: atoms in the unit cell
- \`percent_atom_al\`, \`percent_atom_ga\`, \`percent_atom_in\`: fractions of the cation sites held by each metal
- \`lattice_vector_1_ang\`, \`lattice_vector_2_ang\`, \`lattice_vector_3_ang\`: lengths of the lattice vectors (Å)
- \`lattice_angle_alpha_degree\`, \`lattice_angle_beta_degree\`, \`lattice_angle_gamma_degree\`: lattice angles
- \`formation_energy_ev_natom\`: formation energy (eV per atom) — target
- \`bandgap_energy_ev\`: band gap (eV) — target
`;

export const LEAF_DESCRIPTION = `# Leaf Classification (mini)

## Overview

There are estimated to be nearly half a million species of plant in the world. Classifying species by their
leaves is a classic problem: here you identify **99 species** from pre-extracted leaf features.

This is a small, locally generated version of the competition: each species has a characteristic margin,
shape and texture profile and every leaf varies around it; species of the same genus (there are many oaks) are
alike and easy to confuse. The images of the original are not included. File names, columns, id column and
metric are those of the real competition.

## Evaluation

Submissions are evaluated using the **multi-class logarithmic loss**. Each leaf has exactly one true species.
For each leaf, submit a set of predicted probabilities (one for every species):

logloss = -1/N * sum_i sum_j y_ij * log(p_ij)

where N is the number of leaves in the test set, y_ij is 1 if leaf i is of species j and 0 otherwise, and p_ij
is the predicted probability. Each row of probabilities must sum to 1; probabilities are clipped to
[eps, 1 - eps] before the log is taken.

### Submission File

The file must have a header with \`id\` followed by the 99 species names (as in sample_submission.csv) and one
row per test leaf:

\`\`\`
id,Acer_Capillipes,Acer_Circinatum,Acer_Mono,...
2,0.0101,0.0101,0.0101,...
etc.
\`\`\`

## Dataset Description

### Files

- **train.csv** - the training set: \`id\`, \`species\` and 192 features
- **test.csv** - the test set
- **sample_submission.csv** - a sample submission file in the correct format

### Columns

- \`id\`: an anonymous id unique to a leaf
- \`species\`: the species name (99 classes) — target
- \`margin1\` … \`margin64\`: a 64-bin histogram describing the leaf's margin (fine-scale edge detail)
- \`shape1\` … \`shape64\`: the leaf contour's distance from its centroid at 64 angles (normalised)
- \`texture1\` … \`texture64\`: a 64-bin histogram of the leaf's interior texture
`;
