from options import *

opt = parser.parse_args()
print(opt)
