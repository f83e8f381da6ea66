"""Strong: terrain features (distance to water, elevation corrected by the vertical distance, aspect as sin/cos,
hillshade aggregates, soil/wilderness indices) + tuned LightGBM, 5-fold CV with fold models' probabilities averaged."""
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score
from sklearn.model_selection import StratifiedKFold

DATA = Path("/home/data")
OUT = Path("/home/submission")

train = pd.read_csv(DATA / "train.csv")
test = pd.read_csv(DATA / "test.csv")
soil_cols = [f"Soil_Type{i}" for i in range(1, 41)]
wild_cols = [f"Wilderness_Area{i}" for i in range(1, 5)]


def featurize(df: pd.DataFrame) -> pd.DataFrame:
    X = df.drop(columns=[c for c in ("Id", "Cover_Type") if c in df.columns]).copy()
    X["hydro_euclid"] = np.hypot(df["Horizontal_Distance_To_Hydrology"], df["Vertical_Distance_To_Hydrology"])
    X["aspect_sin"] = np.sin(np.radians(df["Aspect"]))
    X["aspect_cos"] = np.cos(np.radians(df["Aspect"]))
    # tree lines sit lower on sun-facing slopes and near water: an "effective elevation"
    X["elev_eff"] = df["Elevation"] - 0.25 * df["Vertical_Distance_To_Hydrology"] + 150 * X["aspect_cos"]
    X["hillshade_sum"] = df["Hillshade_9am"] + df["Hillshade_Noon"] + df["Hillshade_3pm"]
    X["road_plus_fire"] = df["Horizontal_Distance_To_Roadways"] + df["Horizontal_Distance_To_Fire_Points"]
    X["road_minus_fire"] = df["Horizontal_Distance_To_Roadways"] - df["Horizontal_Distance_To_Fire_Points"]
    X["soil_id"] = (df[soil_cols].to_numpy() * np.arange(1, 41)).max(axis=1)
    X["wild_id"] = (df[wild_cols].to_numpy() * np.arange(1, 5)).max(axis=1)
    return X


X, y, X_test = featurize(train), train["Cover_Type"].to_numpy(), featurize(test)
classes = np.sort(np.unique(y))
params = dict(n_estimators=250, learning_rate=0.05, num_leaves=15, min_child_samples=10, subsample=0.8, subsample_freq=1,
              colsample_bytree=0.7, reg_lambda=1.0, n_jobs=1, verbose=-1)
oof = np.zeros((len(X), len(classes)))
proba = np.zeros((len(X_test), len(classes)))
for fold, (tr, va) in enumerate(StratifiedKFold(5, shuffle=True, random_state=0).split(X, y)):
    model = lgb.LGBMClassifier(**params, random_state=fold).fit(X.iloc[tr], y[tr], categorical_feature=["soil_id", "wild_id"])
    idx = np.searchsorted(classes, model.classes_)
    oof[np.ix_(va, idx)] = model.predict_proba(X.iloc[va])
    proba[:, idx] += model.predict_proba(X_test) / 5
print(f"validation accuracy: {accuracy_score(y, classes[oof.argmax(axis=1)]):.5f}")

OUT.mkdir(parents=True, exist_ok=True)
pd.DataFrame({"Id": test["Id"], "Cover_Type": classes[proba.argmax(axis=1)]}).to_csv(OUT / "submission.csv", index=False)
