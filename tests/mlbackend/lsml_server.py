"""A model server built with Label Studio's own ML SDK (`label-studio-ml` on the
package index), run by test_label_studio_sdk.py in the interpreter that has the SDK:
python lsml_server.py PORT MODEL_DIR. It labels every "Lavrov" PERSON (score 0.66).
Not imported by the tests themselves: newsapp does not depend on the SDK."""

from __future__ import annotations

import re
import sys

from label_studio_ml.api import init_app
from label_studio_ml.model import LabelStudioMLBase


class LavrovFinder(LabelStudioMLBase):
    def predict(self, tasks, **kwargs):
        answers = []
        for task in tasks:
            text = task["data"]["text"]
            regions = [
                {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": match.start(),
                        "end": match.end(),
                        "text": match.group(),
                        "labels": ["PERSON"],
                    },
                    "score": 0.66,
                }
                for match in re.finditer(r"Lavrov", text)
            ]
            answers.append({"result": regions, "score": 0.66})
        return answers


if __name__ == "__main__":
    app = init_app(model_class=LavrovFinder, model_dir=sys.argv[2])
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
