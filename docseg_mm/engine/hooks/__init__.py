# Copyright (c) docseg_mm contributors. All rights reserved.
