"""W2 peer: pandas + scikit-learn. CSV -> 80/20 random split -> z-score +
one-hot -> logistic regression by SGD, 5 epochs -> accuracy on the 20%."""
import sys
import warnings

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FEATURES = [f"x{i}" for i in range(20)]


def main(path):
    df = pd.read_csv(path)
    train, test = train_test_split(df, test_size=0.2, random_state=42)
    pre = ColumnTransformer([("z", StandardScaler(), FEATURES),
                             ("onehot", OneHotEncoder(), ["cat"])])
    x_train = pre.fit_transform(train)
    x_test = pre.transform(test)
    clf = SGDClassifier(loss="log_loss", max_iter=5, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_train, train["y"].to_numpy())
    accuracy = (clf.predict(x_test) == test["y"].to_numpy()).mean()
    print("accuracy", f"{accuracy:.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
