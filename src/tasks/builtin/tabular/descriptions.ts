export const TPS_MAY_DESCRIPTION = "TODO\n";
export const TPS_DEC_DESCRIPTION = "TODO\n";
export const NOMAD_DESCRIPTION = "TODO\n";
export const LEAF_DESCRIPTION = "TODO\n";
